// The start key (src/runtime/start-keys.mjs): what decides whether a deployment needs a workerd start of its own.
import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { StartedKeys, startKey } from "../src/runtime/start-keys.mjs";

/** A script doc with one version; `change` edits the version before it is wrapped. */
function script(change = () => {}) {
  const version = {
    id: "v1",
    metadata: {
      main_module: "index.js",
      compatibility_date: "2026-04-01",
      compatibility_flags: ["python_workers", "nodejs_compat"],
      bindings: [
        { name: "NAME", type: "plain_text", text: "alpha" },
        { name: "KV", type: "kv_namespace", namespace_id: "ns-1" },
        { name: "PYTHON_DO", type: "durable_object_namespace", class_name: "PythonDO" },
      ],
    },
    modules: [{ name: "index.js", type: "esm", content_type: "application/javascript+module", sha256: "aa", size: 10 }],
    assets: null,
  };
  change(version);
  return { versions: [version], do_classes: { PythonDO: { sqlite: true } } };
}
const key = (doc) => startKey(doc, [{ version_id: "v1", percentage: 100 }]);

describe("start keys", () => {
  it("values and ids do not change the key: var text, resource ids, the order of bindings and flags", () => {
    const base = key(script());
    assert.equal(key(script((v) => (v.metadata.bindings[0].text = "beta"))), base);
    assert.equal(key(script((v) => (v.metadata.bindings[1].namespace_id = "ns-2"))), base);
    assert.equal(key(script((v) => v.metadata.bindings.reverse())), base);
    assert.equal(key(script((v) => v.metadata.compatibility_flags.reverse())), base);
  });

  it("code, compatibility settings, binding shapes, assets and Durable Object classes change it", () => {
    const base = key(script());
    const changed = [
      script((v) => (v.modules[0].sha256 = "bb")),
      script((v) => (v.modules[0].name = "main.js")),
      script((v) => (v.metadata.compatibility_date = "2026-05-01")),
      script((v) => v.metadata.compatibility_flags.pop()),
      script((v) => (v.metadata.bindings[1].type = "r2_bucket")),
      script((v) => (v.metadata.bindings[2].class_name = "ThreadDO")),
      script((v) => v.metadata.bindings.push({ name: "EXTRA", type: "plain_text", text: "" })),
      script((v) => (v.assets = { config: { run_worker_first: true } })),
      { ...script(), do_classes: {} },
    ].map(key);
    for (const k of changed) assert.notEqual(k, base);
    assert.equal(new Set(changed).size, changed.length);
  });

  it("a version stored before modules were hashed has no key, and a key-less lookup never hits", () => {
    const doc = script((v) => delete v.modules[0].sha256);
    assert.equal(key(doc), null);
    const known = new StartedKeys();
    known.remember(null, 5);
    assert.equal(known.lookup(null), undefined);
    assert.equal(known.hits, 0);
  });

  it("remembers startup times, oldest forgotten first beyond its limit", () => {
    const known = new StartedKeys(2);
    known.remember("a", 10);
    known.remember("b", 20);
    assert.equal(known.lookup("a"), 10); // a lookup does not refresh: "a" is still the oldest
    known.remember("c", 30);
    assert.deepEqual([known.lookup("a"), known.lookup("b"), known.lookup("c")], [undefined, 20, 30]);
    assert.equal(known.hits, 3);
  });
});

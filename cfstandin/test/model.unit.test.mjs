// Unit tier: the stand-in's script model and runtime options without a server or workerd — bindings
// a new version gets, Durable Object migrations, upload parts, which version serves, what can run,
// and the Miniflare options a stored version becomes.
import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { activeVersion, applyMigrations, publicBindings, resolveBindings, scriptView, uploadModules } from "../src/api/model.mjs";
import { CODES } from "../src/envelope.mjs";
import { assetsOptions, checkRunnable, doUniqueKey, moduleType, QUEUE_PRODUCER_WORKER, versionWorker } from "../src/runtime/worker-options.mjs";

const scriptInvalid = (pattern) => (e) => e.status === 400 && e.code === CODES.SCRIPT_INVALID && pattern.test(e.message);

function scriptWith(bindings, { deployed = true } = {}) {
  const versions = [
    { id: "v2", metadata: { bindings: [{ name: "NEWER", type: "plain_text", text: "not deployed" }] } },
    { id: "v1", metadata: { bindings } },
  ];
  const deployments = deployed ? [{ versions: [{ version_id: "v1", percentage: 100 }] }] : [];
  return { versions, deployments };
}

describe("bindings of a new version", () => {
  const secret = { name: "API_KEY", type: "secret_text", text: "s3cret" };
  const kv = { name: "CACHE", type: "kv_namespace", namespace_id: "ns1" };

  it("inherit takes the binding from the deployed version, under its new name with old_name", () => {
    const doc = scriptWith([secret, kv]);
    const out = resolveBindings(doc, { bindings: [{ name: "API_KEY", type: "inherit" }, { name: "STORE", type: "inherit", old_name: "CACHE" }] });
    assert.deepEqual(out, [secret, { ...kv, name: "STORE" }]);
  });

  it("without a deployment the newest version is the one inherited from", () => {
    const out = resolveBindings(scriptWith([secret], { deployed: false }), { bindings: [{ name: "NEWER", type: "inherit" }] });
    assert.deepEqual(out, [{ name: "NEWER", type: "plain_text", text: "not deployed" }]);
  });

  it("an inherit with nothing to inherit is dropped, or refused with bindings_inherit=strict", () => {
    const metadata = { bindings: [{ name: "GONE", type: "inherit" }] };
    assert.deepEqual(resolveBindings(scriptWith([]), metadata), []);
    assert.throws(() => resolveBindings(scriptWith([]), metadata, { strict: true }), scriptInvalid(/inherit binding 'GONE' has nothing to inherit/));
  });

  it("keep_bindings keeps the previous bindings of those types unless the upload names them", () => {
    const doc = scriptWith([secret, kv, { name: "LABEL", type: "plain_text", text: "old" }]);
    const out = resolveBindings(doc, { bindings: [{ name: "LABEL", type: "plain_text", text: "new" }], keep_bindings: ["secret_text", "plain_text"] });
    assert.deepEqual(out, [{ name: "LABEL", type: "plain_text", text: "new" }, secret]);
  });

  it("a name used twice is refused", () => {
    assert.throws(() => resolveBindings(null, { bindings: [kv, { ...kv, namespace_id: "ns2" }] }), scriptInvalid(/binding name 'CACHE' is used twice/));
  });

  it("the API never shows secret values", () => {
    const key = { name: "SIGNING", type: "secret_key", format: "raw", key_base64: "AAAA", algorithm: { name: "HMAC" } };
    assert.deepEqual(publicBindings([secret, key, kv]), [{ name: "API_KEY", type: "secret_text" }, { name: "SIGNING", type: "secret_key", format: "raw", algorithm: { name: "HMAC" } }, kv]);
  });
});

describe("Durable Object migrations", () => {
  const doc = { do_classes: { Counter: { sqlite: false } }, migration_tag: "v1" };

  it("new, sqlite and deleted classes apply in step order and the tag moves on", () => {
    const { classes, tag } = applyMigrations(doc, { old_tag: "v1", new_tag: "v3", steps: [{ new_sqlite_classes: ["Room"] }, { deleted_classes: ["Counter"], new_classes: ["Tally"] }] });
    assert.deepEqual(classes, { Room: { sqlite: true }, Tally: { sqlite: false } });
    assert.equal(tag, "v3");
    assert.deepEqual(doc.do_classes, { Counter: { sqlite: false } }, "the stored document is not changed in place");
  });

  it("a single-step migration is its own step", () => {
    assert.deepEqual(applyMigrations(null, { new_tag: "v1", new_classes: ["A"] }), { classes: { A: { sqlite: false } }, tag: "v1" });
  });

  it("old_tag must be the script's tag", () => {
    assert.throws(() => applyMigrations(doc, { old_tag: "v0", new_tag: "v2" }), (e) => e.code === CODES.SCRIPT_INVALID && /old_tag is "v0" but the script's migration tag is "v1"/.test(e.message));
    assert.throws(() => applyMigrations(doc, { new_tag: "v2" }), /old_tag is null/);
  });

  it("deleting a class that does not exist, renames and transfers are refused", () => {
    assert.throws(() => applyMigrations(doc, { old_tag: "v1", deleted_classes: ["Nope"] }), scriptInvalid(/class 'Nope' does not exist/));
    assert.throws(() => applyMigrations(doc, { old_tag: "v1", renamed_classes: [{ from: "Counter", to: "C" }] }), scriptInvalid(/not supported by cfstandin/));
  });

  it("no migrations keeps classes and tag", () => {
    assert.deepEqual(applyMigrations(doc, undefined), { classes: doc.do_classes, tag: "v1" });
  });
});

describe("upload parts and the version that serves", () => {
  it("every part but the schema fields is a module, named without wrangler's ./", () => {
    const data = Buffer.from([0, 1, 2]);
    const body = {
      multipart: {
        fields: { metadata: {} },
        parts: [
          { name: "metadata", contentType: "application/json", data: Buffer.from("{}") },
          { name: "index.js", contentType: "application/javascript+module", data },
          { name: "./python.wasm", contentType: "application/wasm", data },
          { name: "blob", contentType: null, data },
        ],
      },
    };
    const { modules, bodyPart } = uploadModules(body);
    assert.equal(bodyPart, null);
    assert.deepEqual(modules.map((m) => [m.name, m.content_type]), [["index.js", "application/javascript+module"], ["python.wasm", "application/wasm"], ["blob", "application/octet-stream"]]);
    assert.equal(modules[1].data, data, "contents pass through untouched");
  });

  it("a service-worker script body becomes worker.js", () => {
    assert.deepEqual(uploadModules({ script: "addEventListener()" }), { modules: [{ name: "worker.js", content_type: "application/javascript", data: "addEventListener()" }], bodyPart: "worker.js" });
  });

  it("the active version is the largest share of the latest deployment", () => {
    const doc = {
      versions: [{ id: "a" }, { id: "b" }],
      deployments: [{ versions: [{ version_id: "a", percentage: 10 }, { version_id: "b", percentage: 90 }] }, { versions: [{ version_id: "a", percentage: 100 }] }],
    };
    assert.equal(activeVersion(doc).id, "b");
    assert.equal(activeVersion({ versions: [{ id: "a" }], deployments: [] }), null);
  });

  it("the upload answer describes the active version and names the new one", () => {
    const doc = {
      id: "w", tag: "t", etag: "e", created_on: "c", modified_on: "m", migration_tag: null, last_deployed_from: "api",
      settings: { tags: [], logpush: false, observability: { enabled: false }, tail_consumers: [] },
      versions: [{ id: "v1", assets: null, metadata: { main_module: "index.js", compatibility_date: "2025-01-01" } }],
      deployments: [{ versions: [{ version_id: "v1", percentage: 100 }] }],
    };
    const view = scriptView(doc, { startupMs: 12, versionId: "v1" });
    assert.equal(view.entry_point, "index.js");
    assert.equal(view.has_modules, true);
    assert.equal(view.has_assets, false);
    assert.equal(view.usage_model, "standard");
    assert.equal(view.deployment_id, "v1");
    assert.equal(view.startup_time_ms, 12);
    assert.equal("migration_tag" in view, false);
  });
});

describe("what can run", () => {
  const modules = [{ name: "index.js" }];

  it("the main module must be among the parts", () => {
    assert.throws(() => checkRunnable({}, modules, {}), scriptInvalid(/must name main_module .* or body_part/));
    assert.throws(() => checkRunnable({ main_module: "main.js" }, modules, {}), scriptInvalid(/main module 'main.js' is not among the uploaded parts/));
    checkRunnable({ body_part: "index.js" }, modules, {});
  });

  it("bindings the stand-in cannot run are refused at upload, naming binding and type", () => {
    const refuse = (binding, pattern, assets = null) => assert.throws(() => checkRunnable({ main_module: "index.js", bindings: [binding] }, modules, { Counter: { sqlite: false } }, assets), scriptInvalid(pattern));
    refuse({ name: "AI", type: "ai" }, /binding 'AI' of type 'ai' is not supported/);
    refuse({ name: "ASSETS", type: "assets" }, /the upload has no assets/);
    refuse({ name: "SVC", type: "service", service: "s", entrypoint: "Admin" }, /named entrypoints/);
    refuse({ name: "DO", type: "durable_object_namespace", class_name: "Counter", script_name: "other" }, /of another script/);
    refuse({ name: "DO", type: "durable_object_namespace", class_name: "Room" }, /class 'Room', which no migration of this script created/);
    checkRunnable({ main_module: "index.js", bindings: [{ name: "DO", type: "durable_object_namespace", class_name: "Counter" }, { name: "ASSETS", type: "assets" }] }, modules, { Counter: { sqlite: false } }, { manifest: {} });
  });

  it("module types follow the part's Content-Type, parameters and case aside; source maps are no modules", () => {
    assert.equal(moduleType("application/javascript+module; charset=utf-8"), "ESModule");
    assert.equal(moduleType("Application/WASM"), "CompiledWasm");
    assert.equal(moduleType("text/x-python"), "PythonModule");
    assert.equal(moduleType("application/source-map"), null);
    assert.equal(moduleType("image/png"), undefined);
  });
});

describe("the Miniflare options of a version", () => {
  const hub = { binding: (kind, id) => `${kind}:${id}` };
  const contents = (m) => Buffer.from(`contents of ${m.name}`);
  const base = { name: "w", contents, hub, doClasses: { Counter: { sqlite: true } }, doHostWorker: null, accountId: "acc", script: "s", serviceFetch: async (script) => `to ${script}` };

  it("module syntax: the main module first under the virtual root, source maps left out", () => {
    const version = {
      metadata: { main_module: "index.js", compatibility_date: "2025-03-01", compatibility_flags: ["nodejs_compat"] },
      modules: [{ name: "lib/util.js", content_type: "application/javascript+module" }, { name: "index.js.map", content_type: "application/source-map" }, { name: "index.js", content_type: "application/javascript+module" }],
    };
    const o = versionWorker({ ...base, version });
    assert.deepEqual(o.modules.map((m) => [m.type, m.path]), [["ESModule", "/cfstandin/index.js"], ["ESModule", "/cfstandin/lib/util.js"]]);
    assert.equal(o.modules[0].contents.toString(), "contents of index.js");
    assert.equal(o.modulesRoot, "/cfstandin");
    assert.equal(o.compatibilityDate, "2025-03-01");
    assert.deepEqual(o.compatibilityFlags, ["nodejs_compat"]);
  });

  it("service-worker syntax: the body part as a script, no modules", () => {
    const o = versionWorker({ ...base, version: { metadata: { body_part: "worker.js" }, modules: [{ name: "worker.js", content_type: "application/javascript" }] } });
    assert.equal(o.script, "contents of worker.js");
    assert.equal(o.modules, false);
    assert.equal(o.compatibilityDate, "2021-01-01");
  });

  it("each binding kind lands in its option, Durable Objects with a key stable across versions", async () => {
    const bindings = [
      { name: "TEXT", type: "plain_text", text: "t" }, { name: "SECRET", type: "secret_text", text: "s" }, { name: "CONF", type: "json", json: { a: 1 } },
      { name: "KV", type: "kv_namespace", namespace_id: "ns" }, { name: "R2", type: "r2_bucket", bucket_name: "b" }, { name: "DB", type: "d1", id: "d" },
      { name: "Q", type: "queue", queue_name: "jobs" }, { name: "SVC", type: "service", service: "other" },
      { name: "DO", type: "durable_object_namespace", class_name: "Counter" },
    ];
    const o = versionWorker({ ...base, version: { metadata: { main_module: "i.js", bindings }, modules: [] } });
    assert.deepEqual(o.bindings, { TEXT: "t", SECRET: "s", CONF: { a: 1 } });
    assert.deepEqual([o.kvNamespaces, o.r2Buckets, o.d1Databases], [{ KV: "kv:ns" }, { R2: "r2:b" }, { DB: "d1:d" }]);
    assert.deepEqual(o.wrappedBindings, { Q: { scriptName: QUEUE_PRODUCER_WORKER, bindings: { queue: "jobs" } } });
    assert.equal(await o.serviceBindings.SVC(new Request("http://x/")), "to other");
    assert.deepEqual(o.durableObjects, { DO: { className: "Counter", useSQLite: true, unsafeUniqueKey: doUniqueKey("acc", "s", "Counter") } });
    const hosted = versionWorker({ ...base, doHostWorker: "host", version: { metadata: { main_module: "i.js", bindings: [bindings[8]] }, modules: [] } });
    assert.equal(hosted.durableObjects.DO.scriptName, "host");
  });

  it("run_worker_first: true sends every request to the Worker; rules split into worker and asset routes", () => {
    assert.deepEqual(assetsOptions({ run_worker_first: true, html_handling: "none" }, "/d", "ASSETS"), {
      directory: "/d", binding: "ASSETS", routerConfig: { has_user_worker: true, invoke_user_worker_ahead_of_assets: true }, assetConfig: { html_handling: "none" },
    });
    const rules = assetsOptions({ run_worker_first: ["/api/*", "!/api/static/*"], not_found_handling: "single-page-application" }, "/d");
    assert.deepEqual(rules.routerConfig.static_routing, { user_worker: ["/api/*"], asset_worker: ["/api/static/*"] });
    assert.deepEqual(rules.assetConfig, { not_found_handling: "single-page-application" });
    assert.equal("binding" in rules, false);
  });
});

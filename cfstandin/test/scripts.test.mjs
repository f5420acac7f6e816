// Scripts really run: a wrangler-style multipart upload with every supported binding kind,
// versions and a 50/50 split, secrets, and a restart that keeps everything.
import assert from "node:assert/strict";
import { after, before, describe, it } from "node:test";
import { ACCOUNT, ADD_WASM, COUNTER_CLASS, getWithHost, start, tempDir, uploadForm } from "./helpers.mjs";

const A = `/accounts/${ACCOUNT}`;
const SECRET = "s3cr3t-VALUE-7f3a9c";

const MAIN = `import wasm from "./4702d7c5-add.wasm";
import TEXT from "./hello.txt";
import DATA from "./blob.bin";
${COUNTER_CLASS}export default {
  async fetch(request, env) {
    const url = new URL(request.url);
    if (url.pathname === "/secret-check") return new Response(env.API_SECRET === url.searchParams.get("v") ? "match" : "differ");
    await env.KV.put("from-worker", "kv-ok");
    await env.BUCKET.put("obj", "r2-ok");
    await env.DB.exec("CREATE TABLE IF NOT EXISTS hits (v TEXT)");
    await env.DB.prepare("INSERT INTO hits VALUES (?)").bind("d1-ok").run();
    const counter = await (await env.COUNTER.get(env.COUNTER.idFromName("c")).fetch("http://do/")).text();
    const instance = await WebAssembly.instantiate(wasm);
    return Response.json({
      seeded: await env.KV.get("seed"),
      kv: await env.KV.get("from-worker"),
      r2: await (await env.BUCKET.get("obj")).text(),
      d1: await env.DB.prepare("SELECT count(*) AS n FROM hits").first("n"),
      counter: Number(counter),
      wasm: instance.exports.add(2, 3),
      greeting: env.GREETING,
      hasSecret: typeof env.API_SECRET === "string",
      text: TEXT,
      data: DATA.byteLength,
    });
  },
};`;

let s;
let ids;
before(async () => {
  s = await start();
  const ns = (await s.api("POST", `${A}/storage/kv/namespaces`, { json: { title: "app-kv" } })).data.result.id;
  await s.api("POST", `${A}/r2/buckets`, { json: { name: "app-bucket" } });
  const db = (await s.api("POST", `${A}/d1/database`, { json: { name: "app-db" } })).data.result.uuid;
  ids = { ns, db };
  const fd = new FormData();
  fd.set("value", "seeded-by-api");
  fd.set("metadata", "{}");
  await s.api("PUT", `${A}/storage/kv/namespaces/${ns}/values/seed`, { body: fd });
});
after(() => s.standin.close());

function metadata(extra = {}) {
  return {
    main_module: "index.js",
    compatibility_date: "2025-04-01",
    bindings: [
      { name: "GREETING", type: "plain_text", text: "hello" },
      { name: "API_SECRET", type: "secret_text", text: SECRET },
      { name: "KV", type: "kv_namespace", namespace_id: ids.ns },
      { name: "COUNTER", type: "durable_object_namespace", class_name: "Counter" },
      { name: "BUCKET", type: "r2_bucket", bucket_name: "app-bucket" },
      { name: "DB", type: "d1", id: ids.db },
    ],
    migrations: { new_tag: "v1", steps: [{ new_sqlite_classes: ["Counter"] }] },
    annotations: { "workers/message": "first" },
    ...extra,
  };
}

const MODULES = [
  { name: "index.js", type: "application/javascript+module", data: MAIN },
  { name: "./4702d7c5-add.wasm", type: "application/wasm", data: ADD_WASM },
  { name: "./hello.txt", type: "text/plain", data: "hello text" },
  { name: "./blob.bin", type: "application/octet-stream", data: new Uint8Array([1, 2, 3, 4]) },
];

const scriptUrl = async (name) => (await (await fetch(`${s.standin.url}/__standin/scripts`)).json()).scripts.find((x) => x.script === name)?.url;

function versionModule(body) {
  return [
    { name: "index.js", type: "application/javascript+module", data: `export default { fetch() { return new Response(${JSON.stringify(body)}); } };` },
  ];
}

describe("script upload and run", () => {
  it("runs an uploaded script with KV, R2, D1, DO, vars, secrets and wasm/text/data modules", async () => {
    const t0 = performance.now();
    const up = await s.api("PUT", `${A}/workers/scripts/app?excludeScript=true&bindings_inherit=strict`, { body: uploadForm(metadata(), MODULES) });
    assert.equal(up.status, 200, up.text);
    assert.equal(up.data.result.id, "app");
    assert.equal(up.data.result.migration_tag, "v1");
    assert.match(up.data.result.deployment_id, /^[0-9a-f-]{36}$/);
    const url = await scriptUrl("app");
    const first = await (await fetch(url)).json();
    console.log(`deploy → first response: ${Math.round(performance.now() - t0)} ms (startup ${up.data.result.startup_time_ms} ms)`);
    assert.deepEqual(first, { seeded: "seeded-by-api", kv: "kv-ok", r2: "r2-ok", d1: 1, counter: 1, wasm: 5, greeting: "hello", hasSecret: true, text: "hello text", data: 4 });
    assert.equal((await (await fetch(url)).json()).counter, 2);
    // The API sees what the script wrote.
    const q = await s.api("POST", `${A}/d1/database/${ids.db}/query`, { json: { sql: "SELECT count(*) AS n FROM hits" } });
    assert.deepEqual(q.data.result[0].results, [{ n: 2 }]);
    const keys = await s.api("GET", `${A}/storage/kv/namespaces/${ids.ns}/keys`);
    assert.deepEqual(keys.data.result.map((k) => k.name), ["from-worker", "seed"]);
    // workers.dev by Host, once enabled.
    assert.equal((await getWithHost(s.standin.url, "app.testsub.workers.dev")).status, 404);
    await s.api("POST", `${A}/workers/scripts/app/subdomain`, { json: { enabled: true } });
    const viaHost = await getWithHost(s.standin.url, "app.testsub.workers.dev");
    assert.equal(JSON.parse(viaHost.text).counter, 3);
    // Listing and download.
    const list = await s.api("GET", `${A}/workers/scripts`);
    assert.deepEqual(list.data.result.map((x) => [x.id, x.migration_tag]), [["app", "v1"]]);
    const dl = await fetch(`${s.standin.apiBase}${A}/workers/scripts/app`, { headers: { authorization: "Bearer test-token-123" } });
    const parts = await dl.formData();
    assert.deepEqual([...parts.keys()].sort(), ["4702d7c5-add.wasm", "blob.bin", "hello.txt", "index.js"]);
  });

  it("refuses a script that fails to start (10021) and keeps the running version", async () => {
    const bad = await s.api("PUT", `${A}/workers/scripts/app`, {
      body: uploadForm({ main_module: "index.js", compatibility_date: "2025-04-01", keep_bindings: ["secret_text"] }, [{ name: "index.js", type: "application/javascript+module", data: "export default { fetch( {" }]),
    });
    assert.equal(bad.status, 400);
    assert.equal(bad.data.errors[0].code, 10021);
    const missing = await s.api("PUT", `${A}/workers/scripts/app`, { body: uploadForm({ main_module: "main.js" }, versionModule("x")) });
    assert.equal(missing.data.errors[0].code, 10021);
    const wrongOld = await s.api("PUT", `${A}/workers/scripts/app`, { body: uploadForm(metadata({ migrations: { old_tag: "v0", new_tag: "v2", steps: [] } }), MODULES) });
    assert.equal(wrongOld.data.errors[0].code, 10021);
    assert.equal((await (await fetch(await scriptUrl("app"))).json()).kv, "kv-ok");
  });

  it("secrets reach env but are never returned by the API or logged", async () => {
    const url = await scriptUrl("app");
    assert.equal(await (await fetch(`${url}secret-check?v=${SECRET}`)).text(), "match");
    const put = await s.api("PUT", `${A}/workers/scripts/app/secrets`, { json: { name: "OTHER_SECRET", text: `${SECRET}-2`, type: "secret_text" } });
    assert.deepEqual(put.data.result, { name: "OTHER_SECRET", type: "secret_text" });
    const list = await s.api("GET", `${A}/workers/scripts/app/secrets`);
    assert.deepEqual(list.data.result.map((x) => x.name).sort(), ["API_SECRET", "OTHER_SECRET"]);
    assert.deepEqual((await s.api("GET", `${A}/workers/scripts/app/secrets/API_SECRET`)).data.result, { name: "API_SECRET", type: "secret_text" });
    // `wrangler secret bulk` style: existing bindings by type+name only, a new secret with its value.
    const settings = (await s.api("GET", `${A}/workers/scripts/app/settings`)).data.result;
    const fd = new FormData();
    fd.set("settings", new Blob([JSON.stringify({ bindings: [...settings.bindings.map(({ name, type }) => ({ name, type })), { name: "BULK", type: "secret_text", text: `${SECRET}-3` }] })], { type: "application/json" }));
    assert.equal((await s.api("PATCH", `${A}/workers/scripts/app/settings`, { body: fd })).status, 200);
    assert.equal(await (await fetch(`${url}secret-check?v=${SECRET}`)).text(), "match");
    assert.equal((await (await fetch(url)).json()).kv, "kv-ok");
    assert.equal((await s.api("DELETE", `${A}/workers/scripts/app/secrets/OTHER_SECRET`)).status, 200);
    const after = await s.api("GET", `${A}/workers/scripts/app/secrets`);
    assert.deepEqual(after.data.result.map((x) => x.name).sort(), ["API_SECRET", "BULK"]);
    // Every API answer and every log line, without the secret values.
    const versions = (await s.api("GET", `${A}/workers/scripts/app/versions`)).data.result.items;
    const seen = [];
    for (const v of versions) seen.push((await s.api("GET", `${A}/workers/scripts/app/versions/${v.id}`)).text);
    seen.push((await s.api("GET", `${A}/workers/scripts/app/settings`)).text, list.text, after.text, put.text);
    seen.push(JSON.stringify(await (await fetch(`${s.standin.url}/__standin/requests`)).json()));
    seen.push(s.logs.join("\n"));
    for (const text of seen) assert.ok(!text.includes(SECRET), `secret leaked in: ${text.slice(0, 200)}`);
    assert.ok(seen.at(-2).includes("[redacted]"), "the request log shows that a secret was sent");
  });
});

describe("versions and deployments", () => {
  it("uploads versions without deploying and splits traffic 50/50", async () => {
    const one = await s.api("PUT", `${A}/workers/scripts/split`, { body: uploadForm({ main_module: "index.js", compatibility_date: "2025-04-01" }, versionModule("one")) });
    assert.equal(one.status, 200, one.text);
    const url = await scriptUrl("split");
    assert.equal(await (await fetch(url)).text(), "one");
    const v2 = await s.api("POST", `${A}/workers/scripts/split/versions`, { body: uploadForm({ main_module: "index.js", compatibility_date: "2025-04-01", annotations: { "workers/tag": "v2" } }, versionModule("two")) });
    assert.equal(v2.status, 200, v2.text);
    assert.equal(await (await fetch(url)).text(), "one", "an uploaded version is not deployed");
    const items = (await s.api("GET", `${A}/workers/scripts/split/versions`)).data.result.items;
    assert.deepEqual(items.map((i) => i.number), [2, 1]);
    const [newer, older] = items.map((i) => i.id);
    assert.equal(newer, v2.data.result.id);
    const dep = await s.api("POST", `${A}/workers/scripts/split/deployments`, {
      json: { strategy: "percentage", versions: [{ version_id: older, percentage: 50 }, { version_id: newer, percentage: 50 }], annotations: { "workers/message": "split" } },
    });
    assert.equal(dep.status, 200, dep.text);
    const counts = { one: 0, two: 0 };
    for (let i = 0; i < 300; i++) counts[await (await fetch(url)).text()]++;
    console.log(`50/50 split over 300 requests: ${JSON.stringify(counts)}`);
    // Binomial(300, 0.5): 3 standard deviations is ±26.
    assert.ok(counts.one > 110 && counts.two > 110, JSON.stringify(counts));
    const deps = (await s.api("GET", `${A}/workers/scripts/split/deployments`)).data.result.deployments;
    assert.deepEqual(deps[0].versions.map((v) => v.percentage), [50, 50]);
    const bad = await s.api("POST", `${A}/workers/scripts/split/deployments`, { json: { strategy: "percentage", versions: [{ version_id: newer, percentage: 60 }] } });
    assert.equal(bad.status, 400);
    await s.api("POST", `${A}/workers/scripts/split/deployments`, { json: { strategy: "percentage", versions: [{ version_id: newer, percentage: 100 }] } });
    assert.equal(await (await fetch(url)).text(), "two");
  });

  it("services lookup answers 10007 for a missing Worker and describes an existing one", async () => {
    const missing = await s.api("GET", `${A}/workers/services/nope`);
    assert.equal(missing.status, 404);
    assert.equal(missing.data.errors[0].code, 10007);
    const svc = await s.api("GET", `${A}/workers/services/split`);
    assert.equal(svc.data.result.default_environment.script.id, "split");
  });

  it("deletes a script and stops its runtime", async () => {
    const url = await scriptUrl("split");
    assert.equal((await s.api("DELETE", `${A}/workers/scripts/split`)).status, 200);
    assert.equal((await s.api("GET", `${A}/workers/scripts/split/settings`)).data.errors[0].code, 10007);
    await assert.rejects(fetch(url));
  });
});

describe("restart", () => {
  it("keeps resources, scripts, versions, secrets and data across a restart", async () => {
    const dir = tempDir();
    let t = await start({ stateDir: dir });
    const ns = (await t.api("POST", `${A}/storage/kv/namespaces`, { json: { title: "persist" } })).data.result.id;
    await t.api("POST", `${A}/r2/buckets`, { json: { name: "persist-bucket" } });
    const db = (await t.api("POST", `${A}/d1/database`, { json: { name: "persist-db" } })).data.result.uuid;
    const saved = ids;
    ids = { ns, db };
    const meta = metadata();
    meta.bindings = meta.bindings.map((b) => (b.type === "r2_bucket" ? { ...b, bucket_name: "persist-bucket" } : b));
    assert.equal((await t.api("PUT", `${A}/workers/scripts/keep`, { body: uploadForm(meta, MODULES) })).status, 200);
    ids = saved;
    const before = (await t.api("GET", `${A}/workers/scripts`)).text;
    const firstUrl = (await (await fetch(`${t.standin.url}/__standin/scripts`)).json()).scripts[0].url;
    assert.equal((await (await fetch(firstUrl)).json()).counter, 1);
    await t.standin.close();

    const t0 = performance.now();
    t = await start({ stateDir: dir });
    console.log(`restart with one deployed script: ${Math.round(performance.now() - t0)} ms`);
    try {
      assert.equal((await t.api("GET", `${A}/workers/scripts`)).text, before);
      assert.deepEqual((await t.api("GET", `${A}/storage/kv/namespaces`)).data.result.map((n) => n.id), [ns]);
      assert.deepEqual((await t.api("GET", `${A}/workers/scripts/keep/secrets`)).data.result, [{ name: "API_SECRET", type: "secret_text" }]);
      const url = (await (await fetch(`${t.standin.url}/__standin/scripts`)).json()).scripts[0].url;
      assert.equal(url, firstUrl, "the per-script URL survives the restart");
      const again = await (await fetch(url)).json();
      assert.equal(again.counter, 2, "Durable Object storage persisted");
      assert.equal(again.d1, 2, "D1 data persisted");
      assert.equal(await (await fetch(`${url}secret-check?v=${SECRET}`)).text(), "match");
    } finally {
      await t.standin.close();
    }
  });
});

// The API surface without scripts: validation, auth, KV/R2/D1, faults, request log.
import assert from "node:assert/strict";
import { after, before, describe, it } from "node:test";
import { ACCOUNT, OTHER_ACCOUNT, OTHER_TOKEN, start } from "./helpers.mjs";

const A = `/accounts/${ACCOUNT}`;
let s;
before(async () => {
  s = await start({ zones: ["example.com"] });
});
after(() => s.standin.close());

function assertError(r, status, code) {
  assert.equal(r.status, status, r.text);
  assert.equal(r.data.success, false);
  assert.deepEqual(r.data.result, null);
  assert.deepEqual(r.data.messages, []);
  assert.equal(r.data.errors[0].code, code, r.text);
  assert.equal(typeof r.data.errors[0].message, "string");
}

describe("validation and auth", () => {
  it("unknown path or method answers 404 with code 7003", async () => {
    assertError(await s.api("GET", `${A}/nope`), 404, 7003);
    assertError(await s.api("PATCH", `${A}/storage/kv/namespaces`, { json: {} }), 404, 7003);
  });

  it("missing, unknown and foreign tokens are refused with 10000", async () => {
    assertError(await s.api("GET", `${A}/storage/kv/namespaces`, { token: null }), 401, 10000);
    assertError(await s.api("GET", `${A}/storage/kv/namespaces`, { token: "wrong" }), 403, 10000);
    assertError(await s.api("GET", `${A}/storage/kv/namespaces`, { token: OTHER_TOKEN }), 403, 10000);
    assert.equal((await s.api("GET", `/accounts/${OTHER_ACCOUNT}/storage/kv/namespaces`, { token: OTHER_TOKEN })).status, 200);
  });

  it("token verify (user and account)", async () => {
    const r = await s.api("GET", "/user/tokens/verify");
    assert.equal(r.data.result.status, "active");
    assert.match(r.data.result.id, /^[0-9a-f]{32}$/);
    assert.equal((await s.api("GET", `${A}/tokens/verify`)).data.result.status, "active");
    assertError(await s.api("GET", "/user/tokens/verify", { token: "nope" }), 401, 1000);
  });

  it("bodies and parameters are checked against the OpenAPI schemas (10013)", async () => {
    const missing = await s.api("POST", `${A}/storage/kv/namespaces`, { json: { name: "x" } });
    assertError(missing, 400, 10013);
    assert.match(missing.data.errors[0].message, /required property 'title'/);
    const badType = await s.api("POST", `${A}/d1/database/0000/query`, { json: { sql: 5 } });
    assertError(badType, 400, 10013);
    assert.match(badType.data.errors[0].message, /body\.sql must be string/);
    assertError(await s.api("GET", `${A}/storage/kv/namespaces?per_page=1000`), 400, 10013);
    assertError(await s.api("POST", `${A}/r2/buckets`, { json: { name: "UPPER" } }), 400, 10013);
    assertError(await s.api("POST", `${A}/r2/buckets`, { body: "{not json", headers: { "content-type": "application/json" } }), 400, 10013);
    const deploy = await s.api("POST", `${A}/workers/scripts/x/deployments`, { json: { strategy: "percentage", versions: [{ version_id: "v", percentage: 500 }] } });
    assertError(deploy, 400, 10013);
    assert.match(deploy.data.errors[0].message, /percentage must be <= 100/);
  });

  it("a script upload whose metadata breaks the schema answers 10021", async () => {
    const fd = new FormData();
    fd.set("metadata", JSON.stringify({ main_module: "index.js", bindings: [{ name: "K", type: "kv_namespace" }] }));
    fd.set("index.js", new Blob(["export default {}"], { type: "application/javascript+module" }), "index.js");
    const r = await s.api("PUT", `${A}/workers/scripts/bad`, { body: fd });
    assertError(r, 400, 10021);
    assert.match(r.data.errors[0].message, /bindings\.0 must have required property 'namespace_id'/);
  });
});

describe("KV", () => {
  it("creates, lists with pagination, reads and deletes namespaces and values", async () => {
    const ids = [];
    for (let i = 0; i < 7; i++) ids.push((await s.api("POST", `${A}/storage/kv/namespaces`, { json: { title: `ns-${i}` } })).data.result.id);
    assertError(await s.api("POST", `${A}/storage/kv/namespaces`, { json: { title: "ns-0" } }), 400, 10014);
    const p1 = await s.api("GET", `${A}/storage/kv/namespaces?per_page=5&page=1&order=title`);
    assert.deepEqual(p1.data.result.map((n) => n.title), ["ns-0", "ns-1", "ns-2", "ns-3", "ns-4"]);
    assert.deepEqual(p1.data.result_info, { page: 1, per_page: 5, count: 5, total_count: 7, total_pages: 2 });
    const p2 = await s.api("GET", `${A}/storage/kv/namespaces?per_page=5&page=2&order=title`);
    assert.deepEqual(p2.data.result.map((n) => n.title), ["ns-5", "ns-6"]);

    const ns = ids[0];
    const fd = new FormData();
    fd.set("value", new Blob([Buffer.from([0, 1, 2, 255])]), "blob");
    fd.set("metadata", JSON.stringify({ kind: "bin" }));
    assert.equal((await s.api("PUT", `${A}/storage/kv/namespaces/${ns}/values/dir%2Fkey`, { body: fd })).status, 200);
    const noMeta = new FormData();
    noMeta.set("value", "x");
    assertError(await s.api("PUT", `${A}/storage/kv/namespaces/${ns}/values/k2`, { body: noMeta }), 400, 10013);
    const got = await fetch(`${s.standin.apiBase}${A}/storage/kv/namespaces/${ns}/values/dir%2Fkey`, { headers: { authorization: "Bearer test-token-123" } });
    assert.deepEqual([...Buffer.from(await got.arrayBuffer())], [0, 1, 2, 255]);
    const keys = await s.api("GET", `${A}/storage/kv/namespaces/${ns}/keys`);
    assert.deepEqual(keys.data.result, [{ name: "dir/key", metadata: { kind: "bin" } }]);
    assert.equal(keys.data.result_info.count, 1);
    assert.equal((await s.api("DELETE", `${A}/storage/kv/namespaces/${ns}/values/dir%2Fkey`)).status, 200);
    assertError(await s.api("GET", `${A}/storage/kv/namespaces/${ns}/values/dir%2Fkey`), 404, 10007);
    assert.equal((await s.api("DELETE", `${A}/storage/kv/namespaces/${ns}`)).data.success, true);
    assertError(await s.api("GET", `${A}/storage/kv/namespaces/${ns}/keys`), 404, 10007);
  });
});

describe("R2 and D1", () => {
  it("R2 buckets: create, list, get, delete", async () => {
    assert.equal((await s.api("POST", `${A}/r2/buckets`, { json: { name: "bucket-a" } })).data.result.name, "bucket-a");
    await s.api("POST", `${A}/r2/buckets`, { json: { name: "bucket-b", locationHint: "weur" } });
    assertError(await s.api("POST", `${A}/r2/buckets`, { json: { name: "bucket-a" } }), 409, 10014);
    const list = await s.api("GET", `${A}/r2/buckets?per_page=1`);
    assert.deepEqual(list.data.result.buckets.map((b) => b.name), ["bucket-a"]);
    assert.equal(list.data.result_info.cursor, "bucket-a");
    const next = await s.api("GET", `${A}/r2/buckets?per_page=1&cursor=bucket-a`);
    assert.deepEqual(next.data.result.buckets.map((b) => [b.name, b.location]), [["bucket-b", "weur"]]);
    assert.equal((await s.api("GET", `${A}/r2/buckets/bucket-b`)).data.result.name, "bucket-b");
    assert.equal((await s.api("DELETE", `${A}/r2/buckets/bucket-b`)).status, 200);
    assertError(await s.api("GET", `${A}/r2/buckets/bucket-b`), 404, 10007);
  });

  it("D1 databases: create, list, query, delete", async () => {
    const db = (await s.api("POST", `${A}/d1/database`, { json: { name: "db-one" } })).data.result;
    assert.match(db.uuid, /^[0-9a-f-]{36}$/);
    assert.deepEqual((await s.api("GET", `${A}/d1/database?name=db-one`)).data.result.map((d) => d.uuid), [db.uuid]);
    const q = await s.api("POST", `${A}/d1/database/${db.uuid}/query`, { json: { sql: "CREATE TABLE t (a TEXT); INSERT INTO t VALUES ('x;y'); SELECT a FROM t" } });
    assert.equal(q.data.result.length, 3);
    assert.deepEqual(q.data.result[2].results, [{ a: "x;y" }]);
    const p = await s.api("POST", `${A}/d1/database/${db.uuid}/query`, { json: { sql: "SELECT a FROM t WHERE a = ?", params: ["x;y"] } });
    assert.deepEqual(p.data.result[0].results, [{ a: "x;y" }]);
    assert.equal((await s.api("POST", `${A}/d1/database/${db.uuid}/query`, { json: { sql: "SELECT * FROM missing" } })).status, 400);
    assert.equal((await s.api("DELETE", `${A}/d1/database/${db.uuid}`)).status, 200);
    assertError(await s.api("GET", `${A}/d1/database/${db.uuid}`), 404, 10007);
  });
});

describe("zones and routes", () => {
  it("finds a zone by name and manages its routes", async () => {
    const z = await s.api("GET", `/zones?name=example.com&account.id=${ACCOUNT}`);
    assert.equal(z.data.result.length, 1);
    const zid = z.data.result[0].id;
    const r = (await s.api("POST", `/zones/${zid}/workers/routes`, { json: { pattern: "example.com/api/*", script: "w" } })).data.result;
    assertError(await s.api("POST", `/zones/${zid}/workers/routes`, { json: { pattern: "example.com/api/*", script: "w" } }), 409, 10020);
    assert.deepEqual((await s.api("GET", `/zones/${zid}/workers/routes`)).data.result, [{ id: r.id, pattern: "example.com/api/*", script: "w" }]);
    assert.deepEqual((await s.api("DELETE", `/zones/${zid}/workers/routes/${r.id}`)).data.result, { id: r.id });
    assertError(await s.api("GET", `/zones/${zid}/workers/routes`, { token: OTHER_TOKEN }), 404, 10007);
  });
});

describe("fault injection and request log", () => {
  it("answers 429 with Retry-After, then 503, then recovers", async () => {
    const admin = `${s.standin.url}/__standin/faults`;
    await fetch(admin, { method: "POST", body: JSON.stringify({ method: "GET", path: "/accounts/*/storage/kv/namespaces", count: 2, status: 429, retry_after: 7 }) });
    await fetch(admin, { method: "POST", body: JSON.stringify({ path: "/accounts/**", count: 1, status: 503 }) });
    const r1 = await s.api("GET", `${A}/storage/kv/namespaces`);
    assertError(r1, 429, 971);
    assert.equal(r1.headers.get("retry-after"), "7");
    assertError(await s.api("GET", `${A}/storage/kv/namespaces`), 429, 971);
    assertError(await s.api("GET", `${A}/storage/kv/namespaces`), 503, 10002);
    assert.equal((await s.api("GET", `${A}/storage/kv/namespaces`)).status, 200);
    const faults = (await (await fetch(admin)).json()).faults;
    assert.deepEqual(faults.map((f) => [f.status, f.hits, f.remaining]), [[429, 2, 0], [503, 1, 0]]);
  });

  it("with `after`, the call takes effect and only its answer is lost", async () => {
    const admin = `${s.standin.url}/__standin/faults`;
    await fetch(admin, { method: "POST", body: JSON.stringify({ method: "POST", path: "/accounts/*/storage/kv/namespaces", status: 502, after: true }) });
    assertError(await s.api("POST", `${A}/storage/kv/namespaces`, { json: { title: "lost-answer" } }), 502, 10002);
    const listed = (await s.api("GET", `${A}/storage/kv/namespaces`)).data.result.map((n) => n.title);
    assert.ok(listed.includes("lost-answer"), `the namespace was created: ${listed}`);
    await fetch(admin, { method: "DELETE" });
  });

  it("logs calls in order without Authorization values", async () => {
    const since = (await (await fetch(`${s.standin.url}/__standin/requests`)).json()).requests.at(-1).id;
    await s.api("GET", "/user/tokens/verify");
    await s.api("GET", `${A}/nope`);
    const { requests } = await (await fetch(`${s.standin.url}/__standin/requests?since=${since}`)).json();
    assert.deepEqual(requests.map((r) => [r.method, r.path, r.status, r.operation]), [
      ["GET", "/user/tokens/verify", 200, "user-api-tokens-verify-token"],
      ["GET", `${A}/nope`, 404, null],
    ]);
    const all = JSON.stringify(await (await fetch(`${s.standin.url}/__standin/requests`)).json());
    assert.ok(!all.includes("test-token-123") && !all.includes(OTHER_TOKEN));
    assert.ok(!s.logs.join("\n").includes("test-token-123"));
  });
});

// Unit tier: API handlers called as the server calls them, on an account document and a store made by
// the test (no server, no workerd): the static-assets upload protocol from session to redeemed
// completion token, D1's statement splitting, and route patterns.
import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { assetHash, assets, BUCKET_MAX_FILES, redeem, uploadSession } from "../src/api/assets.mjs";
import { splitStatements } from "../src/api/d1.mjs";
import { routeMatches } from "../src/api/zones.mjs";
import { CODES } from "../src/envelope.mjs";

const createSession = assets["worker-script-update-create-assets-upload-session"];
const upload = assets["worker-assets-upload"];

/** An account document and the store calls the handlers make (assets kept by hash). */
function context() {
  const account = { id: "acc" };
  const written = new Map();
  const standin = { store: { save() {}, writeAsset: (id, hash, content) => written.set(hash, content) } };
  return { account, standin, written };
}

function manifestOf(files) {
  return Object.fromEntries(Object.entries(files).map(([path, text]) => [path, { hash: assetHash(path, Buffer.from(text)), size: Buffer.byteLength(text) }]));
}

/** The base64 part wrangler sends for one file. */
const part = (path, text) => ({ name: assetHash(path, Buffer.from(text)), contentType: "text/html", data: Buffer.from(Buffer.from(text).toString("base64"), "latin1") });

function uploadWith(ctx, token, parts) {
  return upload({ account: ctx.account, standin: ctx.standin, body: { multipart: { parts } }, auth: { assetsSession: uploadSession(ctx.account, token), assetsToken: token } });
}

describe("static assets", () => {
  const files = { "/index.html": "<h1>hi</h1>", "/about.html": "<p>about</p>", "/copy.html": "<h1>hi</h1>" };

  it("a session asks only for the hashes the account lacks, each once", () => {
    const ctx = context();
    const manifest = manifestOf(files);
    const { result } = createSession({ ...ctx, params: { script_name: "site" }, body: { json: { manifest } } });
    assert.deepEqual(result.buckets.flat().sort(), [manifest["/index.html"].hash, manifest["/about.html"].hash].sort());
    assert.equal(typeof result.jwt, "string");
    assert.equal(JSON.stringify(ctx.account).includes(result.jwt), false, "only the token's hash is kept");
  });

  it("uploading every missing hash turns the session into a completion token the script redeems once", async () => {
    const ctx = context();
    const manifest = manifestOf(files);
    const { result } = createSession({ ...ctx, params: { script_name: "site" }, body: { json: { manifest } } });
    const partial = await uploadWith(ctx, result.jwt, [part("/index.html", files["/index.html"])]);
    assert.equal(partial.raw.status, 202);
    const done = await uploadWith(ctx, result.jwt, [part("/about.html", files["/about.html"])]);
    assert.equal(done.raw.status, 201);
    const completion = JSON.parse(done.raw.body).result.jwt;
    assert.throws(() => uploadSession(ctx.account, result.jwt), /unknown or already complete/);
    assert.equal(ctx.written.get(manifest["/about.html"].hash).toString(), "<p>about</p>");

    assert.throws(() => redeem(ctx.account, "other", { jwt: completion }), (e) => e.code === CODES.SCRIPT_INVALID && /issued for script 'site'/.test(e.message));
    const redeemed = redeem(ctx.account, "site", { jwt: completion, config: { html_handling: "none" } });
    assert.deepEqual(redeemed.manifest, manifest);
    assert.deepEqual(redeemed.config, { html_handling: "none" });
    redeemed.spend();
    assert.throws(() => redeem(ctx.account, "site", { jwt: completion }), /unknown or was already used/);
  });

  it("a second script with the same files uploads nothing", () => {
    const ctx = context();
    const manifest = manifestOf(files);
    ctx.account.assets = Object.fromEntries(Object.values(manifest).map((e) => [e.hash, { size: e.size }]));
    const { result } = createSession({ ...ctx, params: { script_name: "again" }, body: { json: { manifest } } });
    assert.deepEqual(result.buckets, []);
    assert.deepEqual(redeem(ctx.account, "again", { jwt: result.jwt }).manifest, manifest);
  });

  it("parts that do not match the session's manifest are refused with the reason", async () => {
    const ctx = context();
    const manifest = manifestOf({ "/a.html": "aaa" });
    const { result } = createSession({ ...ctx, params: { script_name: "s" }, body: { json: { manifest } } });
    const refused = (parts, pattern) => assert.rejects(uploadWith(ctx, result.jwt, parts), (e) => e.code === CODES.BAD_REQUEST && pattern.test(e.message));
    await refused([], /no asset in the upload/);
    await refused([part("/b.html", "bbb")], /is not a hash of this session's manifest/);
    const hash = manifest["/a.html"].hash;
    await refused([{ name: hash, data: Buffer.from(Buffer.from("zzz").toString("base64"), "latin1") }], /does not hash to/);
    await refused([{ name: hash, data: Buffer.from("not base64!", "latin1") }], /is not base64/);
  });

  it("a manifest must name asset paths with 32-digit hashes and sizes", () => {
    const ctx = context();
    const bad = (manifest, pattern) => assert.throws(() => createSession({ ...ctx, params: { script_name: "s" }, body: { json: { manifest } } }), pattern);
    bad({}, /at least one asset/);
    bad({ "relative.html": { hash: "0".repeat(32), size: 1 } }, /is not an asset path/);
    bad({ "/a/../b": { hash: "0".repeat(32), size: 1 } }, /is not an asset path/);
    bad({ "/a": { hash: "ABC", size: 1 } }, /32 lowercase hex digits/);
    bad({ "/a": { hash: "0".repeat(32), size: -1 } }, /size of '\/a'/);
  });

  it("missing hashes are cut into buckets of at most BUCKET_MAX_FILES", () => {
    const ctx = context();
    const many = Object.fromEntries(Array.from({ length: BUCKET_MAX_FILES + 5 }, (_, i) => [`/f${i}.txt`, `file ${i}`]));
    const { result } = createSession({ ...ctx, params: { script_name: "s" }, body: { json: { manifest: manifestOf(many) } } });
    assert.deepEqual(result.buckets.map((b) => b.length), [BUCKET_MAX_FILES, 5]);
  });

  it("an expired token is refused", () => {
    const ctx = context();
    ctx.standin.assetTokenTtlMs = -1;
    const { result } = createSession({ ...ctx, params: { script_name: "s" }, body: { json: { manifest: manifestOf({ "/a": "a" }) } } });
    assert.throws(() => uploadSession(ctx.account, result.jwt), /has expired/);
  });

  it("an asset's hash depends on its content and its extension, as wrangler's does", () => {
    const content = Buffer.from("same");
    assert.match(assetHash("/a.html", content), /^[0-9a-f]{32}$/);
    assert.equal(assetHash("/a.html", content), assetHash("/dir/b.html", content));
    assert.notEqual(assetHash("/a.html", content), assetHash("/a.css", content));
    assert.notEqual(assetHash("/a.html", content), assetHash("/a.html", Buffer.from("other")));
  });
});

describe("D1 statements", () => {
  it("split at top-level semicolons, quotes and comments respected", () => {
    assert.deepEqual(splitStatements("CREATE TABLE t(x); INSERT INTO t VALUES ('a;b'); -- done;\nSELECT \"c;d\" FROM t;"), [
      "CREATE TABLE t(x)",
      "INSERT INTO t VALUES ('a;b')",
      'SELECT "c;d" FROM t',
    ]);
    assert.deepEqual(splitStatements(" ;; -- only a comment"), []);
    assert.deepEqual(splitStatements("SELECT 'unterminated;"), ["SELECT 'unterminated;"]);
  });
});

describe("route patterns", () => {
  it("match host and path with * wildcards, case-insensitively", () => {
    assert.equal(routeMatches("shop.example.com/*", "shop.example.com", "/cart"), true);
    assert.equal(routeMatches("*.example.com/api/*", "eu.example.com", "/api/v1"), true);
    assert.equal(routeMatches("*.example.com/api/*", "eu.example.com", "/web"), false);
    assert.equal(routeMatches("Shop.Example.com", "shop.example.com", "/any/path"), true, "no path: every path");
    assert.equal(routeMatches("shop.example.com/*", "shop.example.com.evil.net", "/"), false);
    assert.equal(routeMatches("a.b.com/*", "aXb.com", "/"), false, "dots are literal");
  });
});

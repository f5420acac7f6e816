// Unit tier: the stand-in's plumbing without a server — request validation against the OpenAPI file,
// injected faults, multipart bodies, the request log's redaction, pagination and the on-disk state.
import assert from "node:assert/strict";
import { createHash } from "node:crypto";
import { existsSync, readFileSync, statSync } from "node:fs";
import { join } from "node:path";
import { describe, it } from "node:test";
import { fileURLToPath } from "node:url";
import { tokens } from "../src/api/tokens.mjs";
import { CODES, failure, paginate, success } from "../src/envelope.mjs";
import { Faults } from "../src/faults.mjs";
import { boundaryOf, buildMultipart, parseMultipart } from "../src/multipart.mjs";
import { OpenApi, prepareForRequests } from "../src/openapi.mjs";
import { REDACTED, RequestLog, redact } from "../src/requestlog.mjs";
import { StateStore } from "../src/state.mjs";
import { tempDir } from "./helpers.mjs";

const spec = (name) => fileURLToPath(new URL(`../spec/${name}`, import.meta.url));

describe("request validation against the OpenAPI file", () => {
  const api = new OpenApi({ official: spec("cloudflare-workers-openapi.json"), extensions: spec("standin-extensions.json") });
  const ACC = "/accounts/0123456789abcdef0123456789abcdef";

  it("a path matches its most literal template and names its parameters, decoded", () => {
    const sub = api.match("GET", `${ACC}/workers/subdomain`);
    assert.equal(sub.op.template, "/accounts/{account_id}/workers/subdomain");
    const script = api.match("PUT", `${ACC}/workers/scripts/my%20worker`);
    assert.equal(script.op.template, "/accounts/{account_id}/workers/scripts/{script_name}");
    assert.equal(script.pathParams.script_name, "my worker");
  });

  it("a known path with another method is told apart from an unknown path", () => {
    assert.deepEqual(api.match("PATCH", `${ACC}/storage/kv/namespaces`), { pathExists: true });
    assert.deepEqual(api.match("GET", `${ACC}/nothing/here`), { pathExists: false });
  });

  it("the stand-in's own operations come from the extensions file", () => {
    assert.equal(api.match("GET", `${ACC}/tokens/verify`).op.source, "extension");
    assert.equal(api.match("GET", "/user/tokens/verify").op.source, "official");
  });

  it("query parameters are coerced from strings and checked; unknown ones are ignored", () => {
    const { op, pathParams } = api.match("GET", `${ACC}/storage/kv/namespaces`);
    assert.equal(api.checkParams(op, pathParams, new URLSearchParams("per_page=20&page=2&whatever=x")), null);
    assert.match(api.checkParams(op, pathParams, new URLSearchParams("per_page=1000")), /^query parameter 'per_page' must be <= /);
    assert.match(api.checkParams(op, pathParams, new URLSearchParams("page=first")), /^query parameter 'page' must be number/);
  });

  it("bodies are checked against the operation's schema, naming the field", () => {
    const { op } = api.match("POST", `${ACC}/storage/kv/namespaces`);
    assert.deepEqual(api.contentTypes(op), ["application/json"]);
    assert.equal(api.checkBody(op, "application/json", { title: "cache" }), null);
    assert.match(api.checkBody(op, "application/json", { name: "x" }), /^body must have required property 'title'/);
    assert.match(api.checkBody(op, "application/json", { title: 5 }), /^body\.title must be string/);
  });

  it("the script upload's metadata field is known as JSON", () => {
    const { op } = api.match("PUT", `${ACC}/workers/scripts/w`);
    assert.ok(api.contentTypes(op).includes("multipart/form-data"));
    assert.equal(api.multipartFieldSchema(op, "metadata")?.type, "object");
  });
});

describe("OpenAPI schemas adapted to requests", () => {
  it("server-assigned (readOnly) properties are no longer required", () => {
    const out = prepareForRequests({ type: "object", required: ["id", "name"], properties: { id: { type: "string", readOnly: true }, name: { type: "string" } } });
    assert.deepEqual(out.required, ["name"]);
  });

  it("a discriminated union checks only the branch its tag names", () => {
    const out = prepareForRequests({ oneOf: [{ $ref: "#/a" }, { $ref: "#/b" }], discriminator: { propertyName: "type", mapping: { kv: "#/a", r2: "#/b" } } });
    assert.equal(out.oneOf, undefined);
    assert.deepEqual(out.required, ["type"]);
    assert.deepEqual(out.properties.type, { type: "string", enum: ["kv", "r2"] });
    assert.deepEqual(out.allOf[1], { if: { properties: { type: { const: "r2" } }, required: ["type"] }, then: { $ref: "#/b" } });
  });

  it("an overlapping oneOf is read as anyOf, and the input is not changed", () => {
    const input = { oneOf: [{ type: "string" }, { type: "string", minLength: 1 }] };
    const out = prepareForRequests(input);
    assert.deepEqual(out, { anyOf: [{ type: "string" }, { type: "string", minLength: 1 }] });
    assert.ok(input.oneOf, "deep copy");
  });
});

describe("injected faults", () => {
  it("* stays within one segment, ** crosses segments, and the method must match", () => {
    const f = new Faults();
    f.add({ method: "put", path: "/accounts/*/workers/scripts/*", status: 500, count: 5 });
    assert.equal(f.take("PUT", "/accounts/a/workers/scripts/w/settings"), null);
    assert.equal(f.take("GET", "/accounts/a/workers/scripts/w"), null);
    assert.equal(f.take("PUT", "/accounts/a/workers/scripts/w").status, 500);
    f.add({ path: "/accounts/**", status: 503 });
    assert.equal(f.take("GET", "/accounts/a/workers/scripts/w/settings").status, 503);
  });

  it("a rule answers count times, then calls pass again", () => {
    const f = new Faults();
    f.add({ path: "/zones", status: 502, count: 2 });
    assert.ok(f.take("GET", "/zones"));
    assert.ok(f.take("GET", "/zones"));
    assert.equal(f.take("GET", "/zones"), null);
    assert.deepEqual(f.list().map((r) => [r.remaining, r.hits]), [[0, 2]]);
  });

  it("a 429 comes with Retry-After and the rate-limit code, a 5xx with the internal code", () => {
    const f = new Faults();
    const limited = f.add({ path: "/x", status: 429 });
    assert.equal(limited.retry_after, 1);
    assert.equal(limited.code, CODES.RATE_LIMITED);
    assert.equal(f.add({ path: "/y", status: "500" }).code, CODES.INTERNAL);
    assert.equal("regex" in limited, false, "the description carries no internals");
  });

  it("only 429 and 5xx can be injected, always for a path", () => {
    const f = new Faults();
    assert.throws(() => f.add({ path: "/x", status: 404 }), /status must be 429 or 5xx/);
    assert.throws(() => f.add({ status: 500 }), /path \(pattern\) is required/);
    f.clear();
    assert.deepEqual(f.list(), []);
  });

  it("dots and other regex characters in a pattern are literal", () => {
    const f = new Faults();
    f.add({ path: "/a.b", status: 500 });
    assert.equal(f.take("GET", "/aXb"), null);
    assert.ok(f.take("GET", "/a.b"));
  });
});

describe("multipart bodies", () => {
  it("parts keep their exact bytes and Content-Type through a round trip", () => {
    const wasm = Buffer.from([0x00, 0x61, 0x73, 0x6d, 0x0d, 0x0a, 0x2d, 0x2d, 0xff]);
    const { body, contentType } = buildMultipart([
      { name: "metadata", data: '{"main_module":"index.js"}' },
      { name: "python.wasm", filename: "python.wasm", contentType: "application/wasm", data: wasm },
      { name: "empty", contentType: "text/plain", data: "" },
    ]);
    const parts = parseMultipart(body, contentType);
    assert.deepEqual(parts.map((p) => [p.name, p.filename, p.contentType]), [["metadata", null, null], ["python.wasm", "python.wasm", "application/wasm"], ["empty", null, "text/plain"]]);
    assert.deepEqual(parts[1].data, wasm);
    assert.equal(parts[2].data.length, 0);
  });

  it("the boundary may be quoted", () => {
    assert.equal(boundaryOf('multipart/form-data; boundary="abc def"; charset=utf-8'), "abc def");
    assert.equal(boundaryOf("multipart/form-data; boundary=xyz"), "xyz");
    assert.equal(boundaryOf("application/json"), null);
  });

  it("bodies that are not well-formed are refused with the reason", () => {
    const ct = "multipart/form-data; boundary=B";
    assert.throws(() => parseMultipart(Buffer.from("x"), "multipart/form-data"), /without a boundary/);
    assert.throws(() => parseMultipart(Buffer.from("no delimiter"), ct), /boundary not found/);
    assert.throws(() => parseMultipart(Buffer.from('--B\r\nContent-Disposition: form-data; name="a"\r\n\r\nbody'), ct), /not terminated/);
    assert.throws(() => parseMultipart(Buffer.from("--B\r\nContent-Disposition: form-data\r\n\r\nx\r\n--B--"), ct), /without a name/);
  });
});

describe("the request log", () => {
  it("secret binding values and assets tokens are redacted at any depth; the input is untouched", () => {
    const metadata = {
      assets: { jwt: "completion-token" },
      bindings: [
        { name: "S", type: "secret_text", text: "v" },
        { name: "K", type: "secret_key", key_base64: "a", key_jwk: { k: "b" }, format: "raw" },
        { name: "P", type: "plain_text", text: "visible" },
      ],
    };
    const out = redact({ body: metadata });
    assert.equal(out.body.assets.jwt, REDACTED);
    assert.deepEqual(out.body.bindings[0], { name: "S", type: "secret_text", text: REDACTED });
    assert.deepEqual(out.body.bindings[1], { name: "K", type: "secret_key", key_base64: REDACTED, key_jwk: REDACTED, format: "raw" });
    assert.equal(out.body.bindings[2].text, "visible");
    assert.equal(metadata.bindings[0].text, "v");
    assert.equal(redact(null), null);
  });

  it("keeps the newest entries up to its limit, with ids to read on from", () => {
    const log = new RequestLog(2);
    for (const path of ["/a", "/b", "/c"]) log.add({ path });
    assert.deepEqual(log.entries.map((e) => [e.id, e.path]), [[2, "/b"], [3, "/c"]]);
    assert.deepEqual(log.since(2).map((e) => e.path), ["/c"]);
    log.clear();
    assert.deepEqual(log.since(), []);
  });
});

describe("the envelope and pagination", () => {
  it("success and failure have the v4 shape", () => {
    assert.deepEqual(success({ a: 1 }), { success: true, errors: [], messages: [], result: { a: 1 } });
    assert.deepEqual(failure([{ code: 1, message: "m" }]), { success: false, errors: [{ code: 1, message: "m" }], messages: [], result: null });
  });

  it("pages slice the list and say how many there are", () => {
    const items = Array.from({ length: 45 }, (_, i) => i);
    const { result, resultInfo } = paginate(items, new URLSearchParams("page=3&per_page=20"));
    assert.deepEqual(result, [40, 41, 42, 43, 44]);
    assert.deepEqual(resultInfo, { page: 3, per_page: 20, count: 5, total_count: 45, total_pages: 3 });
    assert.equal(paginate([], new URLSearchParams()).resultInfo.total_pages, 1);
  });

  it("token verification answers a stable id per token", () => {
    const verify = tokens["user-api-tokens-verify-token"];
    const a = verify({ auth: { token: "t1" } }).result;
    assert.equal(a.status, "active");
    assert.equal(a.id, verify({ auth: { token: "t1" } }).result.id);
    assert.notEqual(a.id, verify({ auth: { token: "t2" } }).result.id);
    assert.equal(a.id.includes("t1"), false);
  });
});

describe("the on-disk state", () => {
  it("an account survives a restart, in a file only the owner can read (it holds secrets)", () => {
    const dir = tempDir();
    const store = new StateStore(dir);
    const account = store.ensureAccount("acc", "sub");
    account.kv.ns1 = { title: "cache" };
    store.save("acc");
    const file = join(dir, "accounts", "acc", "account.json");
    assert.equal(statSync(file).mode & 0o777, 0o600);
    assert.equal(existsSync(`${file}.tmp`), false);
    const again = new StateStore(dir);
    assert.deepEqual(again.accounts.get("acc").kv, { ns1: { title: "cache" } });
    assert.equal(again.ensureAccount("acc", "other").subdomain, "sub", "a known account keeps its subdomain");
  });

  it("module contents are kept per version and read back byte for byte", () => {
    const store = new StateStore(tempDir());
    const data = Buffer.from([0, 255, 1]);
    const [mod] = store.writeModules("acc", "w", "v1", [{ name: "a.wasm", type: "CompiledWasm", content_type: "application/wasm", data }]);
    const sha256 = createHash("sha256").update(data).digest("hex"); // what the start key compares
    assert.deepEqual(mod, { name: "a.wasm", type: "CompiledWasm", content_type: "application/wasm", size: 3, sha256, file: "0.bin" });
    assert.deepEqual(store.readModule("acc", "w", "v1", mod), data);
    store.deleteVersionFiles("acc", "w", "v1");
    assert.throws(() => store.readModule("acc", "w", "v1", mod), /ENOENT/);
  });

  it("a version's assets are laid out by path from the account's store, shared by hash", () => {
    const store = new StateStore(tempDir());
    store.writeAsset("acc", "h1", Buffer.from("<h1>hi</h1>"));
    const root = store.linkVersionAssets("acc", "w", "v1", { "/index.html": { hash: "h1" }, "/docs/again.html": { hash: "h1" } });
    assert.equal(root, store.versionAssetsDir("acc", "w", "v1"));
    assert.equal(readFileSync(join(root, "index.html"), "utf8"), "<h1>hi</h1>");
    assert.equal(readFileSync(join(root, "docs", "again.html"), "utf8"), "<h1>hi</h1>");
    store.deleteScriptFiles("acc", "w");
    assert.equal(existsSync(root), false);
  });
});

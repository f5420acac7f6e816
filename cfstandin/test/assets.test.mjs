// Static assets: the upload session and bucketed uploads (content-addressed per account, verified
// against wrangler's hash), the completion token redeemed once by an upload, and the assets binding
// really reading the files in workerd, across versions, a settings change and a restart.
import assert from "node:assert/strict";
import { after, before, describe, it } from "node:test";
import { assetHash, BUCKET_MAX_FILES } from "../src/api/assets.mjs";
import { ACCOUNT, OTHER_ACCOUNT, OTHER_TOKEN, start, tempDir, uploadForm } from "./helpers.mjs";

const A = `/accounts/${ACCOUNT}`;
const PYC = Buffer.from([0xcb, 0x0d, 0x0d, 0x0a, 0, 1, 2, 3]);

/** The Worker answers the asset at ?path= through its binding, or its own text. */
const MAIN = `export default {
  async fetch(request, env) {
    const path = new URL(request.url).searchParams.get("path");
    if (!path) return new Response("worker " + env.WHO);
    const r = await env.PYMODE_ASSETS.fetch("https://x" + path);
    return new Response(r.status === 200 ? new Uint8Array(await r.arrayBuffer()) : "missing " + r.status, { status: r.status });
  },
};`;

function files(extra = {}) {
  return {
    "/__pymode/stdlib/json/decoder.pyc": PYC,
    "/__pymode/stdlib/json/__init__.py": Buffer.from("from .decoder import JSONDecoder\n"),
    "/same/copy.py": Buffer.from("from .decoder import JSONDecoder\n"), // same content + extension: one hash
    ...extra,
  };
}

const manifestOf = (fs) => Object.fromEntries(Object.entries(fs).map(([p, c]) => [p, { hash: assetHash(p, c), size: c.length }]));

function uploadBody(fs, hashes) {
  const byHash = new Map(Object.entries(fs).map(([p, c]) => [assetHash(p, c), [p, c]]));
  const fd = new FormData();
  for (const h of hashes) fd.set(h, new Blob([byHash.get(h)[1].toString("base64")], { type: "application/null" }), h);
  return fd;
}

let s;
before(async () => {
  s = await start({ stateDir: tempDir() });
});
after(() => s.standin.close());

/** Session, every bucket, and the completion token (what the operator's client does). */
async function uploadAssets(script, fs) {
  const session = await s.api("POST", `${A}/workers/scripts/${script}/assets-upload-session`, { json: { manifest: manifestOf(fs) } });
  assert.equal(session.status, 200, session.text);
  let jwt = session.data.result.jwt;
  const statuses = [];
  for (const bucket of session.data.result.buckets) {
    const r = await s.api("POST", `${A}/workers/assets/upload?base64=true`, { token: session.data.result.jwt, body: uploadBody(fs, bucket) });
    statuses.push(r.status);
    assert.ok(r.status === 201 || r.status === 202, r.text);
    if (r.data.result.jwt) jwt = r.data.result.jwt;
  }
  return { jwt, buckets: session.data.result.buckets, statuses };
}

function deployForm(jwt, extra = {}) {
  return uploadForm(
    {
      main_module: "index.js",
      compatibility_date: "2025-04-01",
      bindings: [
        { name: "PYMODE_ASSETS", type: "assets" },
        { name: "WHO", type: "plain_text", text: "one" },
      ],
      ...(jwt ? { assets: { jwt, config: { run_worker_first: true } } } : {}),
      ...extra,
    },
    [{ name: "index.js", type: "application/javascript+module", data: Buffer.from(MAIN) }],
  );
}

async function scriptUrl(script) {
  const admin = await (await fetch(`${s.standin.url}/__standin/scripts`)).json();
  return admin.scripts.find((x) => x.script === script).url;
}

describe("static assets", () => {
  it("uploads only missing hashes, verifies them, and the binding reads them in workerd", async () => {
    const fs = files();
    const first = await uploadAssets("site", fs);
    assert.deepEqual(first.buckets.flat().sort(), [...new Set(Object.values(manifestOf(fs)).map((e) => e.hash))].sort());
    assert.deepEqual(first.statuses, [201]);

    const put = await s.api("PUT", `${A}/workers/scripts/site`, { body: deployForm(first.jwt) });
    assert.equal(put.status, 200, put.text);
    assert.equal(put.data.result.has_assets, true);
    const url = await scriptUrl("site");
    const pyc = await fetch(`${url}?path=/__pymode/stdlib/json/decoder.pyc`);
    assert.equal(pyc.status, 200);
    assert.deepEqual(Buffer.from(await pyc.arrayBuffer()), PYC);
    assert.equal(await (await fetch(`${url}?path=/same/copy.py`)).text(), "from .decoder import JSONDecoder\n");
    assert.equal((await fetch(`${url}?path=/nope.py`)).status, 404);
    // run_worker_first: an asset's own path reaches the Worker, not the asset
    assert.equal(await (await fetch(`${url}__pymode/stdlib/json/__init__.py`)).text(), "worker one");

    // the settings show the binding; the token is spent and redacted from the request log
    const settings = await s.api("GET", `${A}/workers/scripts/site/settings`);
    assert.ok(settings.data.result.bindings.some((b) => b.type === "assets" && b.name === "PYMODE_ASSETS"));
    const again = await s.api("PUT", `${A}/workers/scripts/site`, { body: deployForm(first.jwt) });
    assert.equal(again.status, 400);
    assert.equal(again.data.errors[0].code, 10021);
    assert.match(again.data.errors[0].message, /unknown or was already used/);
    const log = JSON.stringify(await (await fetch(`${s.standin.url}/__standin/requests`)).json());
    assert.ok(!log.includes(first.jwt), "no jwt in the request log");
    assert.ok(!s.logs.join("\n").includes(first.jwt), "no jwt in the log lines");
  });

  it("a second script of the account with the same files uploads nothing; a new file only itself", async () => {
    const same = await uploadAssets("site-b", files());
    assert.deepEqual(same.buckets, []);
    assert.deepEqual(same.statuses, []);
    const put = await s.api("PUT", `${A}/workers/scripts/site-b`, { body: deployForm(same.jwt) });
    assert.equal(put.status, 200, put.text);

    const more = files({ "/extra.txt": Buffer.from("new\n") });
    const session = await uploadAssets("site-b", more);
    assert.deepEqual(session.buckets, [[assetHash("/extra.txt", Buffer.from("new\n"))]]);
    // a version carries its assets: a versions upload with the new set, deployed 50/50, then a settings change
    const v = await s.api("POST", `${A}/workers/scripts/site-b/versions`, { body: deployForm(session.jwt) });
    assert.equal(v.status, 200, v.text);
    const d = await s.api("POST", `${A}/workers/scripts/site-b/deployments`, { json: { strategy: "percentage", versions: [{ version_id: v.data.result.id, percentage: 100 }] } });
    assert.equal(d.status, 200, d.text);
    const url = await scriptUrl("site-b");
    assert.equal(await (await fetch(`${url}?path=/extra.txt`)).text(), "new\n");
    const fd = new FormData();
    fd.set("settings", JSON.stringify({ bindings: [{ name: "PYMODE_ASSETS", type: "assets" }, { name: "WHO", type: "plain_text", text: "two" }] }));
    const patched = await s.api("PATCH", `${A}/workers/scripts/site-b/settings`, { body: fd });
    assert.equal(patched.status, 200, patched.text);
    assert.equal(await (await fetch(`${url}?path=/extra.txt`)).text(), "new\n");
    assert.equal(await (await fetch(url)).text(), "worker two");
    // keep_assets keeps the previous version's assets without a token
    const kept = await s.api("PUT", `${A}/workers/scripts/site-b`, { body: deployForm(null, { keep_assets: true }) });
    assert.equal(kept.status, 200, kept.text);
    assert.equal(await (await fetch(`${url}?path=/extra.txt`)).text(), "new\n");
  });

  it("refuses content that does not match its hash, foreign hashes, bad tokens and other accounts' tokens", async () => {
    const fs = { "/a.py": Buffer.from("print('a')\n"), "/b.py": Buffer.from("print('b')\n") };
    const session = await s.api("POST", `${A}/workers/scripts/bad/assets-upload-session`, { json: { manifest: manifestOf(fs) } });
    const { jwt, buckets } = session.data.result;
    const [ha, hb] = [assetHash("/a.py", fs["/a.py"]), assetHash("/b.py", fs["/b.py"])];
    assert.deepEqual(buckets.flat().sort(), [ha, hb].sort());
    const swapped = new FormData();
    swapped.set(ha, new Blob([fs["/b.py"].toString("base64")]), ha);
    let r = await s.api("POST", `${A}/workers/assets/upload?base64=true`, { token: jwt, body: swapped });
    assert.equal(r.status, 400);
    assert.match(r.data.errors[0].message, /does not hash to/);
    const foreign = new FormData();
    foreign.set("0".repeat(32), new Blob(["eA=="]), "0".repeat(32));
    r = await s.api("POST", `${A}/workers/assets/upload?base64=true`, { token: jwt, body: foreign });
    assert.match(r.data.errors[0].message, /not a hash of this session/);
    r = await s.api("POST", `${A}/workers/assets/upload?base64=true`, { token: "made-up", body: uploadBody(fs, [ha]) });
    assert.equal(r.status, 401);
    r = await s.api("POST", `/accounts/${OTHER_ACCOUNT}/workers/assets/upload?base64=true`, { token: jwt, body: uploadBody(fs, [ha]) });
    assert.equal(r.status, 401, "a session is bound to its account");
    // the API token is no upload token, and the upload token no API token
    r = await s.api("POST", `${A}/workers/assets/upload?base64=true`, { body: uploadBody(fs, [ha]) });
    assert.equal(r.status, 401);
    r = await s.api("GET", `${A}/workers/scripts`, { token: jwt });
    assert.equal(r.status, 403);
    // half done: 202 and no token; the rest: 201 with the completion token, bound to its script
    r = await s.api("POST", `${A}/workers/assets/upload?base64=true`, { token: jwt, body: uploadBody(fs, [ha]) });
    assert.equal(r.status, 202, r.text);
    r = await s.api("POST", `${A}/workers/assets/upload?base64=true`, { token: jwt, body: uploadBody(fs, [hb]) });
    assert.equal(r.status, 201, r.text);
    const completion = r.data.result.jwt;
    const wrong = await s.api("PUT", `${A}/workers/scripts/other-script`, { body: deployForm(completion) });
    assert.equal(wrong.status, 400);
    assert.match(wrong.data.errors[0].message, /issued for script 'bad'/);
    const noAssets = await s.api("PUT", `${A}/workers/scripts/bad`, { body: deployForm(null) });
    assert.match(noAssets.data.errors[0].message, /the upload has no assets/);
    const other = await s.api("POST", `/accounts/${OTHER_ACCOUNT}/workers/scripts/bad/assets-upload-session`, { token: OTHER_TOKEN, json: { manifest: manifestOf(fs) } });
    assert.equal(other.data.result.buckets.flat().length, 2, "assets are kept per account");
    const badManifest = await s.api("POST", `${A}/workers/scripts/bad/assets-upload-session`, { json: { manifest: { "/x": { hash: "XYZ", size: 1 } } } });
    assert.equal(badManifest.status, 400);
  });

  it("cuts many missing files into buckets and keeps assets and scripts across a restart", async () => {
    const many = {};
    for (let i = 0; i < BUCKET_MAX_FILES + 5; i++) many[`/m/${i}.py`] = Buffer.from(`x = ${i}\n`);
    const up = await uploadAssets("many", many);
    assert.equal(up.buckets.length, 2);
    assert.deepEqual(up.statuses, [202, 201]);
    assert.equal((await s.api("PUT", `${A}/workers/scripts/many`, { body: deployForm(up.jwt) })).status, 200);

    const stateDir = s.stateDir;
    await s.standin.close();
    s = await start({ stateDir });
    const url = await scriptUrl("many");
    assert.equal(await (await fetch(`${url}?path=/m/104.py`)).text(), "x = 104\n");
    const session = await s.api("POST", `${A}/workers/scripts/many/assets-upload-session`, { json: { manifest: manifestOf(many) } });
    assert.deepEqual(session.data.result.buckets, [], "the account still holds them");
  });

  it("expired tokens are refused", async () => {
    const stateDir = s.stateDir;
    await s.standin.close();
    s = await start({ stateDir, assetTokenTtlMs: 50 });
    const fs = { "/late.py": Buffer.from("late\n") };
    const session = await s.api("POST", `${A}/workers/scripts/late/assets-upload-session`, { json: { manifest: manifestOf(fs) } });
    await new Promise((r) => setTimeout(r, 100));
    const r = await s.api("POST", `${A}/workers/assets/upload?base64=true`, { token: session.data.result.jwt, body: uploadBody(fs, session.data.result.buckets[0]) });
    assert.equal(r.status, 401);
    assert.match(r.data.errors[0].message, /expired|unknown/);
  });
});

// Fidelity check: the real `wrangler deploy` (4.86.0) against the stand-in, then a request to the
// deployed Worker through the stand-in. A second deploy takes wrangler's versions path.
import assert from "node:assert/strict";
import { execFile } from "node:child_process";
import { mkdirSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import { promisify } from "node:util";
import { after, before, it } from "node:test";
import { ACCOUNT, getWithHost, start, tempDir, TOKEN } from "./helpers.mjs";

const WRANGLER = fileURLToPath(new URL("../node_modules/wrangler/bin/wrangler.js", import.meta.url));
const A = `/accounts/${ACCOUNT}`;
let s;
let project;

before(async () => {
  s = await start();
  const ns = (await s.api("POST", `${A}/storage/kv/namespaces`, { json: { title: "wr-kv" } })).data.result.id;
  const db = (await s.api("POST", `${A}/d1/database`, { json: { name: "wr-db" } })).data.result.uuid;
  project = tempDir("cfstandin-wrangler-");
  mkdirSync(join(project, "src"));
  writeFileSync(
    join(project, "wrangler.toml"),
    `name = "wr-worker"
main = "src/index.js"
compatibility_date = "2025-04-01"

[vars]
GREETING = "hello from wrangler"

[[kv_namespaces]]
binding = "KV"
id = "${ns}"

[[d1_databases]]
binding = "DB"
database_name = "wr-db"
database_id = "${db}"

[[durable_objects.bindings]]
name = "COUNTER"
class_name = "Counter"

[[migrations]]
tag = "v1"
new_sqlite_classes = ["Counter"]
`,
  );
});
after(() => s.standin.close());

function writeWorker(label) {
  writeFileSync(
    join(project, "src", "index.js"),
    `export class Counter {
  constructor(state) { this.state = state; }
  async fetch() { const n = ((await this.state.storage.get("n")) ?? 0) + 1; await this.state.storage.put("n", n); return new Response(String(n)); }
}
export default {
  async fetch(request, env) {
    await env.KV.put("visits", "yes");
    await env.DB.exec("CREATE TABLE IF NOT EXISTS v (x INTEGER)");
    await env.DB.prepare("INSERT INTO v VALUES (1)").run();
    const n = await (await env.COUNTER.get(env.COUNTER.idFromName("one")).fetch("http://do/")).text();
    return Response.json({ label: ${JSON.stringify(label)}, greeting: env.GREETING, kv: await env.KV.get("visits"), rows: await env.DB.prepare("SELECT count(*) AS n FROM v").first("n"), counter: Number(n) });
  },
};
`,
  );
}

async function wranglerDeploy() {
  const env = {
    ...process.env,
    CLOUDFLARE_API_BASE_URL: s.standin.apiBase,
    CLOUDFLARE_API_TOKEN: TOKEN,
    CLOUDFLARE_ACCOUNT_ID: ACCOUNT,
    WRANGLER_SEND_METRICS: "false",
    XDG_CONFIG_HOME: join(project, ".config"),
    CI: "true",
  };
  const t0 = performance.now();
  // Asynchronous on purpose: the stand-in serves wrangler from this very process.
  const { stdout } = await promisify(execFile)(process.execPath, [WRANGLER, "deploy"], { cwd: project, env, timeout: 120000 });
  return { stdout, ms: Math.round(performance.now() - t0) };
}

it("wrangler deploy (KV + D1 + Durable Object) is accepted and the Worker answers through the stand-in", async () => {
  writeWorker("first");
  const first = await wranglerDeploy();
  assert.match(first.stdout, /Uploaded wr-worker/);
  assert.match(first.stdout, /https:\/\/wr-worker\.testsub\.workers\.dev/);
  assert.match(first.stdout, /Current Version ID: [0-9a-f-]{36}/);
  const t0 = performance.now();
  const res = await getWithHost(s.standin.url, "wr-worker.testsub.workers.dev");
  console.log(`wrangler deploy took ${first.ms} ms; first response ${Math.round(performance.now() - t0)} ms after it returned`);
  assert.equal(res.status, 200, res.text);
  assert.deepEqual(JSON.parse(res.text), { label: "first", greeting: "hello from wrangler", kv: "yes", rows: 1, counter: 1 });
  const { requests } = await (await fetch(`${s.standin.url}/__standin/requests`)).json();
  const calls = requests.filter((r) => r.path.includes("wr-worker") || r.path.endsWith("/workers/scripts") || r.path.endsWith("/workers/subdomain")).map((r) => `${r.method} ${r.operation} ${r.status}`);
  assert.deepEqual(calls, [
    "GET worker-service-get 404",
    "GET worker-deployments-list-deployments 404",
    "GET worker-script-list-workers 200",
    "GET worker-script-get-settings 404",
    "PUT worker-script-upload-worker-module 200",
    "GET worker-subdomain-get-subdomain 200",
    "GET worker-script-get-subdomain 200",
    "POST worker-script-post-subdomain 200",
  ]);

  // Redeploy: the migration tag now matches, so wrangler uploads a version and deploys it.
  await fetch(`${s.standin.url}/__standin/requests`, { method: "DELETE" });
  writeWorker("second");
  const second = await wranglerDeploy();
  assert.match(second.stdout, /Current Version ID: [0-9a-f-]{36}/);
  const again = JSON.parse((await getWithHost(s.standin.url, "wr-worker.testsub.workers.dev")).text);
  assert.deepEqual(again, { label: "second", greeting: "hello from wrangler", kv: "yes", rows: 2, counter: 2 });
  const ops = (await (await fetch(`${s.standin.url}/__standin/requests`)).json()).requests.map((r) => r.operation);
  assert.ok(ops.includes("worker-versions-upload-version") && ops.includes("worker-deployments-create-deployment"), ops.join(", "));
});

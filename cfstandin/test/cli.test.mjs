// The CLI: READY line with the API URL, and SIGTERM stops every workerd child.
import assert from "node:assert/strict";
import { execFileSync, spawn } from "node:child_process";
import { once } from "node:events";
import { fileURLToPath } from "node:url";
import { it } from "node:test";
import { tempDir } from "./helpers.mjs";

const CLI = fileURLToPath(new URL("../bin/cfstandin.mjs", import.meta.url));
const children = (pid) => execFileSync("ps", ["-o", "pid=", "--ppid", String(pid)], { encoding: "utf8" }).split("\n").map((x) => x.trim()).filter(Boolean);
const alive = (pid) => {
  try {
    process.kill(Number(pid), 0);
    return true;
  } catch {
    return false;
  }
};

it("prints READY with the API URL and shuts down its workerd children on SIGTERM", async () => {
  const t0 = performance.now();
  const proc = spawn(process.execPath, [CLI, "--port", "0", "--state-dir", tempDir(), "--account", "acc", "--token", "tok", "--subdomain", "dev"], { stdio: ["ignore", "pipe", "inherit"] });
  let out = "";
  proc.stdout.on("data", (d) => (out += d));
  while (!/READY (\S+)/.test(out)) await once(proc.stdout, "data");
  console.log(`stand-in start (process spawn → READY): ${Math.round(performance.now() - t0)} ms`);
  const api = /READY (\S+)/.exec(out)[1];
  assert.match(api, /^http:\/\/127\.0\.0\.1:\d+\/client\/v4$/);
  const r = await (await fetch(`${api}/accounts/acc/workers/subdomain`, { headers: { authorization: "Bearer tok" } })).json();
  assert.deepEqual(r.result, { subdomain: "dev" });
  const kids = children(proc.pid);
  assert.ok(kids.length >= 1, "the storage hub's workerd runs as a child");
  proc.kill("SIGTERM");
  const [code] = await once(proc, "exit");
  assert.equal(code, 0);
  assert.match(out, /cfstandin stopped/);
  assert.deepEqual(kids.filter(alive), []);
});

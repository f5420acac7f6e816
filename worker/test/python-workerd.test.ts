// Real python.wasm + pylib in workerd: the uploaded module set, the Worker entry, PythonDO,
// workerd's own KV/R2/D1, fetch and cloudflare:sockets to loopback servers.
import { describe } from "vitest";
import { bundleTestApp, defineRecursionScenario, defineScenarios, Host, TEST_VARS } from "./helpers/scenarios";
import { setUpOnce } from "./helpers/setup";
import { startBundle, WorkerdHandle } from "./helpers/workerd";

async function setup(): Promise<{ h: WorkerdHandle; host: Host }> {
  const dir = await bundleTestApp();
  const h = await startBundle(dir, TEST_VARS);
  const host: Host = {
    fetch: (path, init) => fetch(new URL(path, h.url), init),
    kvPut: (k, v) => h.env.MY_KV.put(k, v),
    logs: () => h.logs,
  };
  return { h, host };
}
const made = setUpOnce(setup, { tearDown: ({ h }) => h.dispose() });

describe("python.wasm in workerd (Worker → PythonDO)", () => {
  const get = () => made().host;
  defineScenarios(get);
  defineRecursionScenario(get);
});

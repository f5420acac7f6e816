// Real python.wasm + pylib in workerd: the uploaded module set, the Worker entry, PythonDO,
// workerd's own KV/R2/D1, fetch and cloudflare:sockets to loopback servers.
import { afterAll, beforeAll, describe } from "vitest";
import { bundleTestApp, defineRecursionScenario, defineScenarios, Host, TEST_VARS } from "./helpers/scenarios";
import { startBundle, WorkerdHandle } from "./helpers/workerd";

let h: WorkerdHandle;
let host: Host | undefined;
let setupError: unknown;

beforeAll(async () => {
  try {
    await setup();
  } catch (e) {
    // Every test then fails with this message (a missing runtime must not look like a skip).
    setupError = e;
  }
});

async function setup() {
  const dir = await bundleTestApp();
  h = await startBundle(dir, TEST_VARS);
  host = {
    fetch: (path, init) => fetch(new URL(path, h.url), init),
    kvPut: (k, v) => h.env.MY_KV.put(k, v),
    logs: () => h.logs,
  };
}
afterAll(async () => {
  await h?.dispose();
});

describe("python.wasm in workerd (Worker → PythonDO)", () => {
  const get = () => {
    if (!host) throw setupError;
    return host;
  };
  defineScenarios(get);
  defineRecursionScenario(get);
});

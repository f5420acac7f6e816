// Real python.wasm + pylib in workerd: the uploaded module set, the Worker entry, PythonDO,
// workerd's own KV/R2/D1, fetch and cloudflare:sockets to loopback servers.
import { describe } from "vitest";
import { bundleTestApp, defineRecursionScenario, defineScenarios, TEST_VARS } from "./helpers/scenarios";
import { setUpOnce } from "./helpers/setup";
import { startBundle, workerdHost } from "./helpers/workerd";

const workerd = setUpOnce(async () => startBundle(await bundleTestApp(), TEST_VARS), { tearDown: (h) => h.dispose() });

describe("python.wasm in workerd (Worker → PythonDO)", () => {
  const get = () => workerdHost(workerd());
  defineScenarios(get);
  defineRecursionScenario(get);
});

// pymode.parallel / pymode.workflows on real python.wasm, node host: tasks in fresh instances,
// in-memory Durable Object storage with timer-delivered alarms.
import { afterAll, beforeAll, describe } from "vitest";
import { loadBundle, memoryEnv, NodeHost } from "../src/node/host";
import { NODE_HOST_DRIVER } from "./helpers/driver";
import { bundleWorkflowApp, defineWorkflowScenarios, WfHost } from "./helpers/workflow-scenarios";

let host: WfHost | undefined;
let nh: NodeHost | undefined;
let setupError: unknown;

beforeAll(async () => {
  try {
    const dir = await bundleWorkflowApp(NODE_HOST_DRIVER);
    const env = await memoryEnv();
    const logs: string[] = [];
    nh = new NodeHost({ bundle: await loadBundle(dir), env, logger: (r) => logs.push(`[${r.source} ${r.level}] ${r.message}`) });
    const h = nh;
    host = { fetch: (path, init) => h.fetch(new Request(new URL(path, "https://pymode.test"), init)), logs: () => logs };
  } catch (e) {
    setupError = e; // every test then fails with this message (a missing runtime is not a skip)
  }
}, 120_000);
afterAll(() => nh?.dispose());

describe("pymode.parallel and pymode.workflows on python.wasm (node host)", () => {
  defineWorkflowScenarios(() => {
    if (!host) throw setupError;
    return host;
  });
});

// pymode.parallel / pymode.workflows on real python.wasm, node host: tasks in fresh instances,
// in-memory Durable Object storage with timer-delivered alarms.
import { describe } from "vitest";
import { loadBundle, memoryEnv, NodeHost } from "../src/node/host";
import { NODE_HOST_DRIVER } from "./helpers/driver";
import { setUpOnce } from "./helpers/setup";
import { bundleWorkflowApp, defineWorkflowScenarios, WfHost } from "./helpers/workflow-scenarios";

async function setup(): Promise<{ nh: NodeHost; host: WfHost }> {
  const dir = await bundleWorkflowApp(NODE_HOST_DRIVER);
  const env = await memoryEnv();
  const logs: string[] = [];
  const nh = new NodeHost({ bundle: await loadBundle(dir), env, logger: (r) => logs.push(`[${r.source} ${r.level}] ${r.message}`) });
  const host: WfHost = { fetch: (path, init) => nh.fetch(new Request(new URL(path, "https://pymode.test"), init)), logs: () => logs };
  return { nh, host };
}

const made = setUpOnce(setup, { timeoutMs: 120_000, tearDown: ({ nh }) => nh.dispose() });

describe("pymode.parallel and pymode.workflows on python.wasm (node host)", () => {
  defineWorkflowScenarios(() => made().host);
});

// Real python.wasm + pylib on the node host (in-memory KV/R2, D1 on sql.js, real loopback HTTP/TCP).
import { describe } from "vitest";
import { loadBundle, memoryEnv, NodeHost } from "../src/node/host";
import { MemoryKV, MemoryQueue } from "../src/node/fakes";
import { NODE_HOST_DRIVER } from "./helpers/driver";
import { bundleTestApp, defineScenarios, Host, otherWorker, TEST_VARS } from "./helpers/scenarios";
import { setUpOnce } from "./helpers/setup";

async function setup(): Promise<Host> {
  const dir = await bundleTestApp({ driver: NODE_HOST_DRIVER });
  const env = await memoryEnv(TEST_VARS, otherWorker);
  const logs: string[] = [];
  const nh = new NodeHost({ bundle: await loadBundle(dir), env, logger: (r) => logs.push(`[${r.source} ${r.level}] ${r.message}`) });
  // The worker consumes its own queue, as in test/helpers/workerd.ts.
  (env.JOBS as MemoryQueue).consumer = (batch) => nh.queue(batch);
  return {
    fetch: (path, init) => nh.fetch(new Request(new URL(path, "https://pymode.test"), init)),
    kvPut: (k, v) => (env.MY_KV as MemoryKV).put(k, v),
    logs: () => logs,
  };
}

const host = setUpOnce(setup);

describe(`python.wasm on the node host (${NODE_HOST_DRIVER})`, () => {
  defineScenarios(host);
});

// A worker written for upstream PyMode on the node host (issue #19).
import { beforeAll, describe } from "vitest";
import { loadBundle, memoryEnv, NodeHost } from "../src/node/host";
import { MemoryKV } from "../src/node/fakes";
import { NODE_HOST_DRIVER } from "./helpers/driver";
import { bundleTestApp, Host } from "./helpers/scenarios";
import { defineUpstreamScenarios, UPSTREAM_APP } from "./helpers/upstream-scenarios";

let host: Host | undefined;
let setupError: unknown;

beforeAll(async () => {
  try {
    const dir = await bundleTestApp({ driver: NODE_HOST_DRIVER, project: UPSTREAM_APP });
    const env = await memoryEnv({ GREETING: "hi there" });
    const logs: string[] = [];
    const nh = new NodeHost({ bundle: await loadBundle(dir), env, logger: (r) => logs.push(`[${r.source} ${r.level}] ${r.message}`) });
    host = {
      fetch: (path, init) => nh.fetch(new Request(new URL(path, "https://pymode.test"), init)),
      kvPut: (k, v) => (env.MY_KV as MemoryKV).put(k, v),
      logs: () => logs,
    };
  } catch (e) {
    setupError = e; // every test then fails with it: a missing runtime must not look like a skip
  }
}, 120_000);

describe(`an upstream PyMode worker on the node host (${NODE_HOST_DRIVER})`, () => {
  defineUpstreamScenarios(() => {
    if (!host) throw setupError;
    return host;
  });
});

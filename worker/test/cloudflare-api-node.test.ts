// A worker written for Cloudflare's Python Workers API on the node host (issue #19).
import { beforeAll, describe } from "vitest";
import { loadBundle, memoryEnv, NodeHost } from "../src/node/host";
import { MemoryKV } from "../src/node/fakes";
import { NODE_HOST_DRIVER } from "./helpers/driver";
import { defineCloudflareScenarios } from "./helpers/cloudflare-scenarios";
import { bundleTestApp, CLOUDFLARE_APP, Host } from "./helpers/scenarios";

let host: Host | undefined;
let setupError: unknown;

beforeAll(async () => {
  try {
    const dir = await bundleTestApp({ driver: NODE_HOST_DRIVER, project: CLOUDFLARE_APP });
    const env = await memoryEnv();
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
});

describe(`a Cloudflare Python Workers handler on the node host (${NODE_HOST_DRIVER})`, () => {
  defineCloudflareScenarios(() => {
    if (!host) throw setupError;
    return host;
  });
});

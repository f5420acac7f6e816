// The Cloudflare Python Workers scenarios from a Wizer snapshot on the node host: what a deployed worker runs by
// default (spec.wizer unset). An instance restored from a snapshot has the environment the snapshot was made with
// until it asks its host for its own (kind "environ", pylib/pymode/_snapshot.py): its bindings come from there.
import { beforeAll, describe } from "vitest";
import { loadBundle, memoryEnv, NodeHost } from "../src/node/host";
import { MemoryKV } from "../src/node/fakes";
import { NODE_HOST_DRIVER } from "./helpers/driver";
import { defineCloudflareScenarios } from "./helpers/cloudflare-scenarios";
import { bundleSnapshotTestApp, CLOUDFLARE_APP, Host } from "./helpers/scenarios";

let host: Host | undefined;
let setupError: unknown;

beforeAll(async () => {
  try {
    const dir = await bundleSnapshotTestApp({ driver: NODE_HOST_DRIVER, project: CLOUDFLARE_APP });
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

describe(`a Cloudflare Python Workers handler from a Wizer snapshot on the node host (${NODE_HOST_DRIVER})`, () => {
  defineCloudflareScenarios(() => {
    if (!host) throw setupError;
    return host;
  });
});

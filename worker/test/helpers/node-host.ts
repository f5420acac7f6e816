// One bundle on the node host as the scenario suites drive it: in-memory bindings (MY_KV, ...), logs collected.
import { loadBundle, memoryEnv, NodeHost } from "../../src/node/host";
import { MemoryKV } from "../../src/node/fakes";
import type { Host } from "./scenarios";

export async function nodeHostFor(bundleDir: string, vars: Record<string, unknown> = {}): Promise<Host> {
  const env = await memoryEnv(vars);
  const logs: string[] = [];
  const nh = new NodeHost({ bundle: await loadBundle(bundleDir), env, logger: (r) => logs.push(`[${r.source} ${r.level}] ${r.message}`) });
  return {
    fetch: (path, init) => nh.fetch(new Request(new URL(path, "https://pymode.test"), init)),
    kvPut: (k, v) => (env.MY_KV as MemoryKV).put(k, v),
    logs: () => logs,
  };
}

// A worker written for upstream PyMode in workerd (Worker → PythonDO, ThreadDO for parallel), issue #19.
import { describe } from "vitest";
import { bundleTestApp, Host } from "./helpers/scenarios";
import { setUpOnce } from "./helpers/setup";
import { defineUpstreamScenarios, UPSTREAM_APP } from "./helpers/upstream-scenarios";
import { startBundle, WorkerdHandle } from "./helpers/workerd";

async function setup(): Promise<{ h: WorkerdHandle; host: Host }> {
  const h = await startBundle(await bundleTestApp({ project: UPSTREAM_APP }), { GREETING: "hi there" });
  const host: Host = { fetch: (path, init) => fetch(new URL(path, h.url), init), kvPut: (k, v) => h.env.MY_KV.put(k, v), logs: () => h.logs };
  return { h, host };
}

const made = setUpOnce(setup, { timeoutMs: 120_000, tearDown: ({ h }) => h.dispose() });

describe("an upstream PyMode worker in workerd", () => {
  defineUpstreamScenarios(() => made().host);
});

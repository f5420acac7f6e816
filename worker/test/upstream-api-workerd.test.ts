// A worker written for upstream PyMode in workerd (Worker → PythonDO, ThreadDO for parallel), issue #19.
import { afterAll, beforeAll, describe } from "vitest";
import { bundleTestApp, Host } from "./helpers/scenarios";
import { defineUpstreamScenarios, UPSTREAM_APP } from "./helpers/upstream-scenarios";
import { startBundle, WorkerdHandle } from "./helpers/workerd";

let h: WorkerdHandle | undefined;
let host: Host | undefined;
let setupError: unknown;

beforeAll(async () => {
  try {
    const w = await startBundle(await bundleTestApp({ project: UPSTREAM_APP }), { GREETING: "hi there" });
    h = w;
    host = { fetch: (path, init) => fetch(new URL(path, w.url), init), kvPut: (k, v) => w.env.MY_KV.put(k, v), logs: () => w.logs };
  } catch (e) {
    setupError = e; // every test then fails with it: a missing runtime must not look like a skip
  }
}, 120_000);
afterAll(async () => {
  await h?.dispose();
});

describe("an upstream PyMode worker in workerd", () => {
  defineUpstreamScenarios(() => {
    if (!host) throw setupError;
    return host;
  });
});

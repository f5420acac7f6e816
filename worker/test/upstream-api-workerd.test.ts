// A worker written for upstream PyMode in workerd (Worker → PythonDO, ThreadDO for parallel), issue #19.
import { describe } from "vitest";
import { bundleTestApp } from "./helpers/scenarios";
import { setUpOnce } from "./helpers/setup";
import { defineUpstreamScenarios, UPSTREAM_APP } from "./helpers/upstream-scenarios";
import { startBundle, workerdHost } from "./helpers/workerd";

const workerd = setUpOnce(async () => startBundle(await bundleTestApp({ project: UPSTREAM_APP }), { GREETING: "hi there" }),
  { timeoutMs: 120_000, tearDown: (h) => h.dispose() });

describe("an upstream PyMode worker in workerd", () => {
  defineUpstreamScenarios(() => workerdHost(workerd()));
});

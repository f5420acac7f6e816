// A worker written for upstream PyMode on the node host (issue #19).
import { describe } from "vitest";
import { NODE_HOST_DRIVER } from "./helpers/driver";
import { nodeHostFor } from "./helpers/node-host";
import { bundleTestApp } from "./helpers/scenarios";
import { setUpOnce } from "./helpers/setup";
import { defineUpstreamScenarios, UPSTREAM_APP } from "./helpers/upstream-scenarios";

const host = setUpOnce(async () =>
  nodeHostFor(await bundleTestApp({ driver: NODE_HOST_DRIVER, project: UPSTREAM_APP }), { GREETING: "hi there" }),
  { timeoutMs: 120_000 });

describe(`an upstream PyMode worker on the node host (${NODE_HOST_DRIVER})`, () => {
  defineUpstreamScenarios(host);
});

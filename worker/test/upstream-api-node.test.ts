// A worker written for upstream PyMode on the node host (issue #19).
import { beforeAll, describe } from "vitest";
import { NODE_HOST_DRIVER } from "./helpers/driver";
import { nodeHostFor } from "./helpers/node-host";
import { bundleTestApp, Host } from "./helpers/scenarios";
import { defineUpstreamScenarios, UPSTREAM_APP } from "./helpers/upstream-scenarios";

let host: Host | undefined;
let setupError: unknown;

beforeAll(async () => {
  try {
    host = await nodeHostFor(await bundleTestApp({ driver: NODE_HOST_DRIVER, project: UPSTREAM_APP }), { GREETING: "hi there" });
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

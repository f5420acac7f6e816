// A worker written for Cloudflare's Python Workers API on the node host (issue #19).
import { beforeAll, describe } from "vitest";
import { NODE_HOST_DRIVER } from "./helpers/driver";
import { nodeHostFor } from "./helpers/node-host";
import { defineCloudflareScenarios } from "./helpers/cloudflare-scenarios";
import { bundleTestApp, CLOUDFLARE_APP, Host } from "./helpers/scenarios";

let host: Host | undefined;
let setupError: unknown;

beforeAll(async () => {
  try {
    host = await nodeHostFor(await bundleTestApp({ driver: NODE_HOST_DRIVER, project: CLOUDFLARE_APP }));
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

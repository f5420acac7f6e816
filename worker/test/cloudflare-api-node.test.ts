// A worker written for Cloudflare's Python Workers API on the node host (issue #19).
import { describe } from "vitest";
import { NODE_HOST_DRIVER } from "./helpers/driver";
import { nodeHostFor } from "./helpers/node-host";
import { defineCloudflareScenarios } from "./helpers/cloudflare-scenarios";
import { bundleTestApp, CLOUDFLARE_APP } from "./helpers/scenarios";
import { setUpOnce } from "./helpers/setup";

const host = setUpOnce(async () => nodeHostFor(await bundleTestApp({ driver: NODE_HOST_DRIVER, project: CLOUDFLARE_APP })));

describe(`a Cloudflare Python Workers handler on the node host (${NODE_HOST_DRIVER})`, () => {
  defineCloudflareScenarios(host);
});

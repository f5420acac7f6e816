// A worker written for Cloudflare's Python Workers API in workerd (Worker → PythonDO), issue #19.
import { describe } from "vitest";
import { defineCloudflareScenarios } from "./helpers/cloudflare-scenarios";
import { bundleTestApp, CLOUDFLARE_APP } from "./helpers/scenarios";
import { setUpOnce } from "./helpers/setup";
import { startBundle, workerdHost } from "./helpers/workerd";

const workerd = setUpOnce(async () => startBundle(await bundleTestApp({ project: CLOUDFLARE_APP })),
  { tearDown: (h) => h.dispose() });

describe("a Cloudflare Python Workers handler in workerd", () => {
  defineCloudflareScenarios(() => workerdHost(workerd()));
});

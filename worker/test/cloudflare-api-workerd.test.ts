// A worker written for Cloudflare's Python Workers API in workerd (Worker → PythonDO), issue #19.
import { describe } from "vitest";
import { defineCloudflareScenarios } from "./helpers/cloudflare-scenarios";
import { bundleTestApp, CLOUDFLARE_APP, Host } from "./helpers/scenarios";
import { setUpOnce } from "./helpers/setup";
import { startBundle, WorkerdHandle } from "./helpers/workerd";

async function setup(): Promise<{ h: WorkerdHandle; host: Host }> {
  const h = await startBundle(await bundleTestApp({ project: CLOUDFLARE_APP }));
  const host: Host = {
    fetch: (path, init) => fetch(new URL(path, h.url), init),
    kvPut: (k, v) => h.env.MY_KV.put(k, v),
    logs: () => h.logs,
  };
  return { h, host };
}

const made = setUpOnce(setup, { tearDown: ({ h }) => h.dispose() });

describe("a Cloudflare Python Workers handler in workerd", () => {
  defineCloudflareScenarios(() => made().host);
});

// A worker written for Cloudflare's Python Workers API in workerd (Worker → PythonDO), issue #19.
import { afterAll, beforeAll, describe } from "vitest";
import { defineCloudflareScenarios } from "./helpers/cloudflare-scenarios";
import { bundleTestApp, CLOUDFLARE_APP, Host } from "./helpers/scenarios";
import { startBundle, WorkerdHandle } from "./helpers/workerd";

let h: WorkerdHandle;
let host: Host | undefined;
let setupError: unknown;

beforeAll(async () => {
  try {
    h = await startBundle(await bundleTestApp({ project: CLOUDFLARE_APP }));
    host = {
      fetch: (path, init) => fetch(new URL(path, h.url), init),
      kvPut: (k, v) => h.env.MY_KV.put(k, v),
      logs: () => h.logs,
    };
  } catch (e) {
    setupError = e; // every test then fails with it: a missing runtime must not look like a skip
  }
});
afterAll(async () => {
  await h?.dispose();
});

describe("a Cloudflare Python Workers handler in workerd", () => {
  defineCloudflareScenarios(() => {
    if (!host) throw setupError;
    return host;
  });
});

// The Cloudflare Python Workers scenarios from a Wizer snapshot on the node host: what a deployed worker runs by
// default (spec.wizer unset). An instance restored from a snapshot has the environment the snapshot was made with
// until it asks its host for its own (kind "environ", pylib/pymode/_snapshot.py): its bindings come from there.
import { beforeAll, describe } from "vitest";
import { NODE_HOST_DRIVER } from "./helpers/driver";
import { nodeHostFor } from "./helpers/node-host";
import { defineCloudflareScenarios } from "./helpers/cloudflare-scenarios";
import { bundleSnapshotTestApp, CLOUDFLARE_APP, Host } from "./helpers/scenarios";

let host: Host | undefined;
let setupError: unknown;

beforeAll(async () => {
  try {
    host = await nodeHostFor(await bundleSnapshotTestApp({ driver: NODE_HOST_DRIVER, project: CLOUDFLARE_APP }));
  } catch (e) {
    setupError = e; // every test then fails with it: a missing runtime must not look like a skip
  }
});

describe(`a Cloudflare Python Workers handler from a Wizer snapshot on the node host (${NODE_HOST_DRIVER})`, () => {
  defineCloudflareScenarios(() => {
    if (!host) throw setupError;
    return host;
  });
});

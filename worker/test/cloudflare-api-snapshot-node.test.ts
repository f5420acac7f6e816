// The Cloudflare Python Workers scenarios from a Wizer snapshot on the node host: what a deployed worker runs by
// default (spec.wizer unset). An instance restored from a snapshot has the environment the snapshot was made with
// until it asks its host for its own (kind "environ", pylib/pymode/_snapshot.py): its bindings come from there.
import { describe } from "vitest";
import { NODE_HOST_DRIVER } from "./helpers/driver";
import { nodeHostFor } from "./helpers/node-host";
import { defineCloudflareScenarios } from "./helpers/cloudflare-scenarios";
import { bundleSnapshotTestApp, CLOUDFLARE_APP } from "./helpers/scenarios";
import { setUpOnce } from "./helpers/setup";

const host = setUpOnce(async () =>
  nodeHostFor(await bundleSnapshotTestApp({ driver: NODE_HOST_DRIVER, project: CLOUDFLARE_APP })));

describe(`a Cloudflare Python Workers handler from a Wizer snapshot on the node host (${NODE_HOST_DRIVER})`, () => {
  defineCloudflareScenarios(host);
});

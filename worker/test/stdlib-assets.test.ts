// The stdlib kept in static assets (issue #13; scripts/stdlib-assets.mjs, pylib/pymode/_wasi/lazy_stdlib.py): a
// --stdlib-assets bundle uploads only what an interpreter imports before it serves, and every other stdlib module
// imports on first use from the Worker's assets, on the node host and in workerd, with and without a snapshot.
import { readFileSync, rmSync } from "node:fs";
import { join, resolve } from "node:path";
import { unzipSync } from "fflate";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { loadBundle, LoadedBundle, memoryEnv, NodeHost } from "../src/node/host";
import STDLIB_START from "../scripts/stdlib-start.json" with { type: "json" };
import { NODE_HOST_DRIVER } from "./helpers/driver";
import { bundleSnapshotTestApp, bundleTestApp, snapshotTestApp } from "./helpers/scenarios";
import { startBundle, WorkerdHandle } from "./helpers/workerd";

const APP = resolve(__dirname, "fixtures", "lazy-stdlib-app");
const START_APP = resolve(__dirname, "fixtures", "start-app");

interface Imports {
  subject: string;
  sum: string;
  date: string;
  wrapped: string[];
  loop: string;
  email_file: string;
  email_loader: string;
  textwrap_is_stdlib: boolean;
  prefix: string;
  email_listed: string[];
  encodings_listed: string[];
  top_listed: string[];
}

function expectImported(body: Imports) {
  expect(body).toMatchObject({ subject: "lazy", sum: "1", date: "2026-12-07", wrapped: ["a b", "c d"], loop: "ran", textwrap_is_stdlib: true });
  expect(typeof body.prefix).toBe("string");
  expect(body.email_loader).toBe("StdlibAssetLoader");
  expect(body.email_file).toBe("/lib/python313.zip/email/__init__.pyc");
  // pkgutil.iter_modules: the assets' modules beside the zip's (encodings.utf_8 stays in the zip, latin_1 does not)
  expect(body.email_listed).toEqual(expect.arrayContaining(["message", "mime", "parser"]));
  expect(body.encodings_listed).toEqual(expect.arrayContaining(["aliases", "utf_8", "latin_1", "cp1252"]));
  expect([...body.top_listed].sort()).toEqual(["email", "json", "zoneinfo"]);
}

async function nodeHost(dir: string): Promise<{ host: NodeHost; bundle: LoadedBundle }> {
  const bundle = await loadBundle(dir);
  return { host: new NodeHost({ bundle, env: await memoryEnv({}, undefined) }), bundle };
}

async function get(host: { fetch(r: Request): Promise<Response> }, path: string): Promise<Response> {
  return host.fetch(new Request(`https://pymode.test${path}`));
}

describe("a --stdlib-assets bundle", () => {
  let dir: string;
  let manifest: any;
  beforeAll(async () => {
    dir = await bundleTestApp({ driver: NODE_HOST_DRIVER, project: APP, stdlibAssets: true });
    manifest = JSON.parse(readFileSync(join(dir, "bundle.json"), "utf8"));
  });

  it("uploads only the start's stdlib and declares the rest as static assets behind a binding", () => {
    const zipped = Object.keys(unzipSync(readFileSync(join(dir, "python313.zip"))));
    expect(zipped).toContain("json/decoder.pyc");
    expect(zipped).not.toContain("email/__init__.pyc");
    expect(zipped.length).toBe(STDLIB_START.start.length);
    expect(manifest.assets).toMatchObject({ directory: "assets", binding: "PYMODE_ASSETS", config: { run_worker_first: true } });
    expect(manifest.app.stdlibAssets).toEqual({ binding: "PYMODE_ASSETS" });
    const email = readFileSync(join(dir, "assets", "__pymode", "stdlib", "email.bin"));
    expect(email.byteLength).toBeGreaterThan(10_000);
    expect(manifest.modules.find((m: any) => m.name === "python313.zip").gzip_size).toBeLessThan(300_000);
  });

  it("starts without reading an asset (worker/scripts/stdlib-start.json is complete)", async () => {
    const plain = await bundleTestApp({ driver: NODE_HOST_DRIVER, project: START_APP, stdlibAssets: true });
    const { host, bundle } = await nodeHost(plain);
    expect((await get(host, "/")).status).toBe(200);
    expect(bundle.stdlib!.reads).toBe(0);
  });

  it("imports the other stdlib modules from the assets on first use, one read per package and host", async () => {
    const { host, bundle } = await nodeHost(dir);
    const r = await get(host, "/imports");
    expect(r.status).toBe(200);
    expectImported((await r.json()) as Imports);
    const reads = bundle.stdlib!.reads;
    expect(reads).toBeGreaterThan(3);
    expect((await get(host, "/imports")).status).toBe(200);
    expect(bundle.stdlib!.reads).toBe(reads);
  });

  it("a submodule that does not exist is still ModuleNotFoundError", async () => {
    const { host } = await nodeHost(dir);
    expect(await (await get(host, "/missing")).text()).toMatch(/^ModuleNotFoundError: No module named 'email.no_such_module'/);
  });

  it("an asset that cannot be read fails that import with what and why", async () => {
    const broken = await bundleTestApp({ driver: NODE_HOST_DRIVER, project: APP, stdlibAssets: true });
    rmSync(join(broken, "assets", "__pymode", "stdlib", "zoneinfo.bin"));
    const { host } = await nodeHost(broken);
    const r = await get(host, "/failing");
    expect(r.status).toBe(500);
    expect(await r.text()).toMatch(/ImportError: pymode: the stdlib module zoneinfo is in the Worker's static assets, and reading it failed: .*zoneinfo\.bin/);
  });

  it("from a Wizer snapshot, which holds the start and reads the rest from the assets", async () => {
    const snap = await bundleSnapshotTestApp({ driver: NODE_HOST_DRIVER, project: APP, stdlibAssets: true });
    const snapManifest = JSON.parse(readFileSync(join(snap, "bundle.json"), "utf8"));
    expect(Object.keys(unzipSync(readFileSync(join(snap, "python313.zip")))).length).toBe(STDLIB_START.init.length);
    expect(snapManifest.runtime.snapshot).toBe(true);
    const { host } = await nodeHost(snap);
    const r = await get(host, "/imports");
    expect(r.status).toBe(200);
    expectImported((await r.json()) as Imports);
  }, 180_000);

  it("refuses a snapshot made with another stdlib zip (its heap holds that zip's directory)", async () => {
    const wholeZip = snapshotTestApp({ driver: NODE_HOST_DRIVER, project: START_APP });
    await expect(bundleTestApp({ wasm: wholeZip, driver: NODE_HOST_DRIVER, project: START_APP, stdlibAssets: true }))
      .rejects.toThrow(/the snapshot was made with another stdlib zip .* than the bundle ships .*--split-stdlib/);
    // the same snapshot with the zip it was made with is fine
    expect(await bundleTestApp({ wasm: wholeZip, driver: NODE_HOST_DRIVER, project: START_APP })).toBeTruthy();
  }, 180_000);
});

describe("a --stdlib-assets bundle in workerd, through its assets binding", () => {
  let w: WorkerdHandle | undefined;
  afterAll(async () => w?.dispose());

  it("imports stdlib modules from the Worker's static assets", async () => {
    w = await startBundle(await bundleTestApp({ driver: "jspi", project: APP, stdlibAssets: true }));
    const r = await fetch(new URL("/imports", w.url));
    const text = await r.text();
    expect(r.status, `${text}\n${w.logs.join("\n")}`).toBe(200);
    expectImported(JSON.parse(text) as Imports);
    // run_worker_first: an asset's path reaches the Worker, which keeps /__pymode/* to itself, never the asset
    const direct = await fetch(new URL("/__pymode/stdlib/email.bin", w.url));
    expect(direct.status).toBe(404);
    expect(await direct.text()).toBe("Not Found");
  });

  it("from a Wizer snapshot (the deploy default), imports them the same way", async () => {
    await w?.dispose();
    w = await startBundle(await bundleSnapshotTestApp({ driver: "jspi", project: APP, stdlibAssets: true }));
    const r = await fetch(new URL("/imports", w.url));
    const text = await r.text();
    expect(r.status, `${text}\n${w.logs.join("\n")}`).toBe(200);
    expectImported(JSON.parse(text) as Imports);
  }, 180_000);
});

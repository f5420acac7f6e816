// What a python.wasm interpreter loads before it serves a plain synchronous handler (issue #13, cold start and
// snapshot size): every module loaded at start costs each instance its import time and each Wizer snapshot its
// heap (145 modules, 3.68 MB gzip snapshot for hello before this test; 82, 2.94 MB after). The modules below
// were all loaded at start once, pulled in by pymode's own imports; a handler that imports them still can.
import { resolve } from "node:path";
import { describe, expect, it } from "vitest";
import { loadBundle, memoryEnv, NodeHost } from "../src/node/host";
import { NODE_HOST_DRIVER } from "./helpers/driver";
import { bundleTestApp } from "./helpers/scenarios";
import { setUpOnce } from "./helpers/setup";

const START_APP = resolve(__dirname, "fixtures", "start-app");

const NOT_AT_START = [
  "inspect", "ast", "dis", "tokenize", // inspect.isawaitable / signature (pymode._entrypoints)
  "dataclasses", "typing", // pymode.env's result classes
  "importlib.metadata", "email", "zipfile", // importlib.invalidate_caches() at entry import
  "importlib.abc", "importlib.resources", "tempfile", "shutil", "pathlib", // importlib.abc base classes (pymode._wasi)
  "traceback", "textwrap", // only a failure needs a traceback
  "datetime", "base64", // R2, D1 and queue values
];

const host = setUpOnce(async () => {
  const bundle = await loadBundle(await bundleTestApp({ driver: NODE_HOST_DRIVER, project: START_APP }));
  return new NodeHost({ bundle, env: await memoryEnv({}, undefined) });
});

async function modules(path: string): Promise<string[]> {
  const r = await host().fetch(new Request(`https://pymode.test${path}`));
  expect(r.status).toBe(200);
  return (await r.json()) as string[];
}

describe(`modules loaded at interpreter start (${NODE_HOST_DRIVER})`, () => {
  it("pymode's start path leaves heavy modules out", async () => {
    const loaded = await modules("/before-entry");
    expect(loaded).toContain("pymode._handler"); // the list was taken after pymode had loaded
    expect(loaded.filter((m) => NOT_AT_START.includes(m))).toEqual([]);
  });

  it("serving synchronous requests does not load them either", async () => {
    await modules("/");
    const loaded = await modules("/");
    expect(loaded).toContain("pymode._serve");
    expect(loaded.filter((m) => NOT_AT_START.includes(m))).toEqual([]);
  });
});

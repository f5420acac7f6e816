// The extension test app (test/extension-app: it runs the Python a request POSTs and answers with its JSON
// result) bundled by scripts/bundle.mjs and run in workerd, once per test file.
import { mkdtempSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
// @ts-ignore -- plain ESM build script
import { bundle } from "../../scripts/bundle.mjs";
import { EXTENSION_APP, REPO, runtimeDir } from "../extension-harness";
import { setUpOnce } from "./setup";
import { startBundle } from "./workerd";

/**
 * Bundles the extension app with the bundle options `options()` gives (site dirs, stdlib, ...) before the file's
 * tests and starts it in workerd. `manifest()` is the bundle's manifest; `run(code)` POSTs Python and returns its
 * JSON result. Both throw the set-up's error when it failed.
 */
export function extensionAppInWorkerd(options: () => Promise<Record<string, unknown>> | Record<string, unknown>, timeoutMs: number) {
  const made = setUpOnce(async () => {
    const opts = await options();
    const out = join(mkdtempSync(join(tmpdir(), "pymode-ext-app-workerd-")), "bundle");
    const manifest = await bundle({ runtime: runtimeDir(), project: EXTENSION_APP, pylib: join(REPO, "pylib"), out, ...opts });
    return { manifest, h: await startBundle(out) };
  }, { timeoutMs, tearDown: ({ h }) => h.dispose() });
  return {
    manifest: (): any => made().manifest,
    async run(code: string): Promise<any> {
      const { h } = made();
      const r = await fetch(h.url, { method: "POST", body: code });
      const text = await r.text();
      if (r.status !== 200) throw new Error(`status ${r.status}: ${text}\n${h.logs.join("\n")}`);
      return JSON.parse(text);
    },
  };
}

// What of pylib a bundle carries: its edge packages (scripts/bundle.mjs pylibPackages), without the directories
// that only run natively (scripts/pylib-native-only.json: the native host pymode._native, the CLI, the dev
// server). builder-image/bundler/pymode_build.py keeps the same list out of a snapshot's site
// (builder-image/tests/test_builder_input.py). No runtime needed: the app image is built from files only.
import { existsSync, readFileSync } from "node:fs";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
// @ts-ignore -- plain ESM build script
import { buildAppImage, PYLIB_NATIVE_ONLY, pylibPackages } from "../scripts/bundle.mjs";
import { PYAPP, PYLIB } from "./helpers/scenarios";

const SITE = "/lib/site/";
const nativeOnlyModules = (PYLIB_NATIVE_ONLY as string[]).map((dir) => dir.split("/").join("."));
const isNativeOnlyModule = (mod: string) => nativeOnlyModules.some((n) => mod === n || mod.startsWith(n + "."));

/** The modules a Python source imports (absolute names; relative imports resolved against `pkg`), with each
 * `from X import a` counted as X and X.a, since `a` may be a submodule. */
function importedModules(text: string, pkg: string): string[] {
  const found: string[] = [];
  for (const m of text.matchAll(/^[ \t]*import[ \t]+([^\n#]+)/gm)) {
    for (const part of m[1]!.split(",")) found.push(part.trim().split(/\s+/)[0]!);
  }
  for (const m of text.matchAll(/^[ \t]*from[ \t]+(\.*)([\w.]*)[ \t]+import[ \t]+(\([^)]*\)|[^\n#]+)/gm)) {
    const [, dots, name, names] = m;
    const base = dots!.length ? [...pkg.split(".").slice(0, pkg.split(".").length - dots!.length + 1), ...(name ? [name] : [])].join(".") : name!;
    found.push(base);
    for (const n of names!.replace(/[()\\]/g, " ").split(",")) {
      const id = n.trim().split(/\s+/)[0];
      if (id && id !== "*") found.push(`${base}.${id}`);
    }
  }
  return found;
}

describe("the pylib a bundle carries", () => {
  const { files } = buildAppImage({ pylibDir: PYLIB, projectDir: PYAPP });
  const fromPylib = files.filter((f: string) => pylibPackages(PYLIB).some((p: string) => f.startsWith(`${SITE}${p}/`)));

  it("names directories pylib has", () => {
    expect(PYLIB_NATIVE_ONLY).toEqual(expect.arrayContaining(["pymode/_native", "pymode/cli", "pymode/dev"]));
    expect((PYLIB_NATIVE_ONLY as string[]).filter((dir) => !existsSync(join(PYLIB, dir, "__init__.py")))).toEqual([]);
  });

  it("holds the edge packages and no native-only module", () => {
    expect(fromPylib).toContain(`${SITE}pymode/_handler.py`);
    expect(fromPylib).toContain(`${SITE}workers/__init__.py`);
    expect(fromPylib.filter((f: string) => (PYLIB_NATIVE_ONLY as string[]).some((dir) => f.startsWith(`${SITE}${dir}/`)))).toEqual([]);
  });

  it("has no module that imports a native-only one", () => {
    const offenders: string[] = [];
    for (const f of fromPylib.filter((p: string) => p.endsWith(".py"))) {
      const rel = f.slice(SITE.length);
      const pkg = rel.split("/").slice(0, -1).join(".");
      for (const mod of importedModules(readFileSync(join(PYLIB, rel), "utf8"), pkg)) {
        if (isNativeOnlyModule(mod)) offenders.push(`${rel} imports ${mod}`);
      }
    }
    expect(offenders).toEqual([]);
  });

  it("the import reader sees absolute, relative and parenthesised imports of a native-only module", () => {
    const mods = (text: string, pkg: string) => importedModules(text, pkg).filter(isNativeOnlyModule);
    expect(mods("import pymode._native.kv as kv\n", "pymode")).toEqual(["pymode._native.kv"]);
    expect(mods("from .. import _abi, _native\n", "pymode.dev")).toEqual(["pymode._native"]);
    expect(mods("def f():\n    from ._native import (\n        install,\n    )\n", "pymode")).toEqual(["pymode._native", "pymode._native.install"]);
    expect(mods("from pymode import cli\nfrom pymode.http import Request\n", "workers")).toEqual(["pymode.cli"]);
  });
});

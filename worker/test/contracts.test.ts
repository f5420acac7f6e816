// The contracts between modules (schemas/README.md), checked at the worker's ends: bundle.mjs writes bundles
// that bundle.schema.json accepts; the hosts' readers of the Worker vars accept every valid example of
// schemas/examples/ and refuse every invalid one with their own error; the PYMODE_BINDINGS the host hands
// Python is valid under its schema; the schemas' kind lists are the registry's.
import { mkdirSync, mkdtempSync, readFileSync, readdirSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { Ajv2020 } from "ajv/dist/2020.js";
import binaryen from "binaryen";
import { zipSync } from "fflate";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { bundle } from "../scripts/bundle.mjs";
import { DECLARED_KINDS } from "../src/bindings/registry";
import { bindingsDescription } from "../src/runtime/config";
import { poolLimitsFromEnv } from "../src/runtime/pool";
import { routingMode } from "../src/runtime/routing";
import { parseSchedules } from "../src/runtime/schedules";
import { writeFakeProject, writeFakeRuntime } from "./fixtures/build-fake.mjs";
import { PYAPP, PYLIB, requireRuntime } from "./helpers/scenarios";

const SCHEMAS = join(__dirname, "..", "..", "schemas");
const EXAMPLES = join(SCHEMAS, "examples");

const readJson = (path: string): any => JSON.parse(readFileSync(path, "utf8"));
// strict: a schema keyword ajv does not know is an error; strictRequired is off for the `oneOf: [{required}]` idiom
const ajv = new Ajv2020({ allErrors: true, strict: true, strictRequired: false });
const compiled = new Map<string, ReturnType<typeof ajv.compile>>();

/** A validator for schemas/<path>; its errors as one line for a failing expectation ("" when valid). */
function schema(path: string): (value: unknown) => string {
  if (!compiled.has(path)) compiled.set(path, ajv.compile(readJson(join(SCHEMAS, path))));
  const validate = compiled.get(path)!;
  return (value) => (validate(value) ? "" : ajv.errorsText(validate.errors));
}

/** The examples of schemas/examples/<name>/<valid|invalid>: [file, document]. */
function examples(name: string, which: "valid" | "invalid"): [string, unknown][] {
  const dir = join(EXAMPLES, name, which);
  return readdirSync(dir).filter((f) => f.endsWith(".json")).sort().map((f) => [f, readJson(join(dir, f))]);
}

/** The error fragment the worker's reader gives for an invalid example (schemas/examples/<name>/rejections.json). */
function rejection(name: string, file: string): string {
  const expected = readJson(join(EXAMPLES, name, "rejections.json"))[file]?.worker;
  if (typeof expected !== "string") throw new Error(`schemas/examples/${name}/rejections.json names no worker error for ${file}`);
  return expected;
}

describe("contracts: the corpus of examples", () => {
  for (const [name, path] of [
    ["bundle", "bundle.schema.json"],
    ["bindings-decl", "worker-vars/bindings-decl.schema.json"],
    ["bindings", "worker-vars/bindings.schema.json"],
    ["schedules", "worker-vars/schedules.schema.json"],
    ["routing", "worker-vars/routing.schema.json"],
    ["builder-inputs", "builder-inputs.schema.json"],
  ] as const) {
    it(`${path}: every valid example passes, every invalid one fails`, () => {
      const check = schema(path);
      for (const [file, doc] of examples(name, "valid")) expect([file, check(doc)]).toEqual([file, ""]);
      for (const [file, doc] of examples(name, "invalid")) expect([file, check(doc)]).not.toEqual([file, ""]);
    });
  }
});

describe("contracts: the kind lists of the schemas are the binding-kind registry's", () => {
  it("PYMODE_BINDINGS_DECL and PYMODE_BINDINGS name the registry's declared kinds", () => {
    const decl = readJson(join(SCHEMAS, "worker-vars/bindings-decl.schema.json"));
    expect([...decl.additionalProperties.enum].sort()).toEqual([...DECLARED_KINDS, "var", "secret"].sort());
    const bindings = readJson(join(SCHEMAS, "worker-vars/bindings.schema.json"));
    const kinds = bindings.additionalProperties.oneOf.flatMap((s: any) => s.properties.type.enum);
    expect(kinds.sort()).toEqual([...DECLARED_KINDS, "var", "secret"].sort());
  });
});

/** An object every declared kind's isBinding takes (the methods the kinds' ops use). */
const ANY_BINDING = Object.fromEntries(
  ["getWithMetadata", "list", "head", "put", "prepare", "batch", "send", "sendBatch", "fetch"].map((m) => [m, () => undefined]),
);

/** A Worker env with PYMODE_BINDINGS_DECL = `decl` and a binding of the declared kind for each of its names. */
function envDeclaring(decl: unknown): Record<string, unknown> {
  const env: Record<string, unknown> = { PYMODE_BINDINGS_DECL: JSON.stringify(decl) };
  if (decl && typeof decl === "object" && !Array.isArray(decl)) {
    for (const [name, kind] of Object.entries(decl)) env[name] = kind === "var" || kind === "secret" ? `${name}-value` : ANY_BINDING;
  }
  return env;
}

describe("contracts: the worker reads PYMODE_BINDINGS_DECL and writes PYMODE_BINDINGS", () => {
  const bindingsValid = schema("worker-vars/bindings.schema.json");

  it("takes every valid declaration, and hands Python a PYMODE_BINDINGS valid under its schema", () => {
    for (const [file, decl] of examples("bindings-decl", "valid")) {
      const env = { ...envDeclaring(decl), UNDECLARED_VAR: "plain" };
      const description = bindingsDescription(env);
      expect([file, bindingsValid(description)]).toEqual([file, ""]);
      expect(Object.keys(description).sort()).toEqual([...Object.keys(decl as object), "UNDECLARED_VAR"].sort());
    }
  });

  it("refuses every invalid declaration with its own error", () => {
    for (const [file, decl] of examples("bindings-decl", "invalid")) {
      expect(() => bindingsDescription(envDeclaring(decl)), file).toThrow(rejection("bindings-decl", file));
    }
  });

  it("refuses an undeclared var whose name Python cannot read (bindings.schema.json's names)", () => {
    expect(() => bindingsDescription({ "api-key": "k" })).toThrow("the worker's var api-key is not a Python identifier");
  });
});

describe("contracts: the worker reads PYMODE_SCHEDULES", () => {
  it("takes every valid example as it is", () => {
    for (const [file, entries] of examples("schedules", "valid")) expect([file, parseSchedules(JSON.stringify(entries))]).toEqual([file, entries]);
  });

  it("refuses every invalid example with its own error", () => {
    for (const [file, entries] of examples("schedules", "invalid")) {
      expect(() => parseSchedules(JSON.stringify(entries)), file).toThrow(rejection("schedules", file));
    }
  });
});

describe("contracts: the worker reads the routing vars", () => {
  const read = (vars: any) => [routingMode(vars), poolLimitsFromEnv(vars)] as const;

  it("takes every valid example", () => {
    for (const [file, vars] of examples("routing", "valid")) {
      const [mode, pool] = read(vars);
      expect([file, mode]).toEqual([file, (vars as any).PYMODE_ROUTING ?? "isolate"]);
      const maxRequests = (vars as any).PYMODE_POOL_MAX_REQUESTS;
      if (maxRequests !== undefined) expect(pool.maxRequestsPerInstance).toBe(Number(maxRequests));
    }
  });

  it("refuses every invalid example with its own error", () => {
    for (const [file, vars] of examples("routing", "invalid")) expect(() => read(vars), file).toThrow(rejection("routing", file));
  });
});

describe("contracts: bundle.mjs writes bundles valid under bundle.schema.json", () => {
  const bundleValid = schema("bundle.schema.json");
  let tmp: string;
  let runtime: string;
  let project: string;

  beforeAll(() => {
    tmp = mkdtempSync(join(tmpdir(), "pymode-contracts-"));
    runtime = writeFakeRuntime(join(tmp, "runtime"));
    project = writeFakeProject(join(tmp, "project"), { "pyproject.toml": '[tool.pymode]\nrouting = "single"\n' });
  });

  afterAll(() => rmSync(tmp, { recursive: true, force: true }));

  /** bundle() with the fake runtime; the manifest it returns is the bundle.json it wrote. */
  async function made(name: string, opts: Record<string, unknown>): Promise<any> {
    const out = join(tmp, name);
    const manifest = await bundle({ runtime, project, pylib: null, out, ...opts });
    expect(readJson(join(out, "bundle.json"))).toEqual(manifest);
    return manifest;
  }

  it("a plain bundle", async () => {
    expect(bundleValid(await made("plain", { compatFlags: ["nodejs_compat"] }))).toBe("");
  });

  it("a bundle with a C extension (side module) and the Asyncify driver", async () => {
    const site = join(tmp, "site");
    mkdirSync(site, { recursive: true });
    const mod = binaryen.parseText('(module (import "env" "__asyncify_state" (global i32)) (func (export "PyInit_x")))');
    writeFileSync(join(site, "x.cpython-313-wasm32-wasi.so"), mod.emitBinary());
    mod.dispose();
    const manifest = await made("extension", { site: [site], driver: "asyncify" });
    expect(manifest.extensions).toHaveLength(1);
    expect(bundleValid(manifest)).toBe("");
  });

  it("a bundle whose stdlib is split into static assets", async () => {
    // A stdlib zip with every module the interpreter imports before it serves (kept in the upload) and two more
    // (served as assets).
    const start: string[] = readJson(join(__dirname, "..", "scripts", "stdlib-start.json")).start;
    const files: Record<string, Uint8Array> = {};
    for (const name of [...start, "csv", "email"]) {
      const isPackage = [...start, "csv", "email"].some((other) => other.startsWith(name + "."));
      files[name.replaceAll(".", "/") + (isPackage ? "/__init__.pyc" : ".pyc")] = new TextEncoder().encode(`# ${name}\n`);
    }
    const stdlibRuntime = join(tmp, "runtime-stdlib");
    writeFakeRuntime(stdlibRuntime);
    writeFileSync(join(stdlibRuntime, "python313.zip"), zipSync(files));
    const manifest = await made("assets", { runtime: stdlibRuntime, stdlibAssets: true });
    expect(manifest.assets.files).toBeGreaterThan(0);
    expect(bundleValid(manifest)).toBe("");
  });
});

describe("contracts: bundles of the built runtime are valid under bundle.schema.json", () => {
  const bundleValid = schema("bundle.schema.json");
  const outs: string[] = [];
  afterAll(() => outs.forEach((dir) => rmSync(dir, { recursive: true, force: true })));

  // what the runtime adds to the fake's bundles: its SOABI and key, its side modules (every one: stdlib "full")
  for (const [name, opts] of [["the stdlib in static assets", { stdlibAssets: true }], ["every runtime side module", { stdlib: "full" }]] as const) {
    it(name, async () => {
      const out = mkdtempSync(join(tmpdir(), "pymode-contracts-"));
      outs.push(out);
      const manifest = await bundle({ runtime: requireRuntime(), project: PYAPP, pylib: PYLIB, out, ...opts });
      expect(bundleValid(manifest)).toBe("");
    });
  }
});

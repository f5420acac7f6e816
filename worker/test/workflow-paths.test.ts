// The Worker sends every path pymode.workflows serves to the "main" PythonDO, where run records live
// (src/runtime/routing.ts); the list there must be the engine's (pylib/pymode/workflows.py PATHS, less the
// host's own /__pymode/alarm, which never comes from a client).
import { readFileSync } from "node:fs";
import { dirname, resolve } from "node:path";
import { fileURLToPath } from "node:url";
import { describe, expect, it } from "vitest";
import { WORKFLOW_PATHS } from "../src/runtime/routing";

const here = dirname(fileURLToPath(import.meta.url));
const read = (...p: string[]) => readFileSync(resolve(here, "..", ...p), "utf8");
const quoted = (s: string) => [...s.matchAll(/"([^"]+)"/g)].map((m) => m[1]!).sort();

describe("workflow paths", () => {
  it("the Worker routes exactly the paths pymode.workflows serves to the main Durable Object", () => {
    const py = read("..", "pylib", "pymode", "workflows.py").match(/^PATHS = \(([^)]*)\)/m);
    expect(py, "PATHS in pylib/pymode/workflows.py").not.toBeNull();
    const engine = quoted(py![1]!).filter((p) => !p.startsWith("/__pymode/"));
    expect(engine).toContain("/workflow/info"); // upstream PyMode's route
    expect([...WORKFLOW_PATHS].sort()).toEqual(engine);
  });
});

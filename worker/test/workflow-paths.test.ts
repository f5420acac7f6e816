// The Worker sends every path pymode.workflows serves to the "main" PythonDO, where run records live
// (routeId in src/index.ts); the list there must be the engine's (pylib/pymode/workflows.py PATHS, less the
// host's own /__pymode/alarm, which never comes from a client).
import { readFileSync } from "node:fs";
import { dirname, resolve } from "node:path";
import { fileURLToPath } from "node:url";
import { describe, expect, it } from "vitest";

const here = dirname(fileURLToPath(import.meta.url));
const read = (...p: string[]) => readFileSync(resolve(here, "..", ...p), "utf8");
const quoted = (s: string) => [...s.matchAll(/"([^"]+)"/g)].map((m) => m[1]!).sort();

describe("workflow paths", () => {
  it("src/index.ts routes exactly the paths pymode.workflows serves to the main Durable Object", () => {
    const ts = read("src", "index.ts").match(/const WORKFLOW_PATHS = new Set\(\[([^\]]*)\]\)/);
    const py = read("..", "pylib", "pymode", "workflows.py").match(/^PATHS = \(([^)]*)\)/m);
    expect(ts, "WORKFLOW_PATHS in src/index.ts").not.toBeNull();
    expect(py, "PATHS in pylib/pymode/workflows.py").not.toBeNull();
    const engine = quoted(py![1]!).filter((p) => !p.startsWith("/__pymode/"));
    expect(engine).toContain("/workflow/info"); // upstream PyMode's route
    expect(quoted(ts![1]!)).toEqual(engine);
  });
});

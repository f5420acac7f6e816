// PYMODE_ROUTING, and which requests run in a Durable Object whatever it says (worker/README.md "Routing policy").

/** Paths served by pymode.workflows: run records live in the "main" PythonDO's storage. */
export const WORKFLOW_PATHS: ReadonlySet<string> = new Set(["/workflow/run", "/workflow/status", "/workflow/resume", "/workflow/runs", "/workflow/info"]);

export function isDurableObjectPath(pathname: string): boolean {
  return WORKFLOW_PATHS.has(pathname);
}

import MODES from "./routing-modes.json";

/** The routing modes, in a file the bundler reads too (scripts/bundle.mjs checks `[tool.pymode] routing`). */
export const ROUTING_MODES = MODES as readonly RoutingMode[];
export type RoutingMode = "isolate" | "single" | "sharded" | "per-request";

/** PYMODE_ROUTING (the worker var, set by the operator from the CR), else the project's (`[tool.pymode] routing`), else "isolate"; checked. */
export function routingMode(env: Record<string, unknown>, projectDefault?: string): RoutingMode {
  const mode = env.PYMODE_ROUTING ?? projectDefault ?? "isolate";
  if (!(ROUTING_MODES as readonly unknown[]).includes(mode)) {
    throw new Error(`PYMODE_ROUTING must be one of ${ROUTING_MODES.join(", ")}, got ${JSON.stringify(mode)}`);
  }
  return mode as RoutingMode;
}

/** Why Python in the isolate has no Durable Object storage (kind do_storage), and what provides it. */
export const ISOLATE_NO_STORAGE =
  "Durable Object storage is not available to Python in the Worker isolate (PYMODE_ROUTING=isolate); " +
  'route the worker to a Durable Object (PyModeWorker spec.routing.mode: single, or [tool.pymode] routing = "single")';

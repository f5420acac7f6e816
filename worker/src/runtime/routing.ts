// PYMODE_ROUTING, and which requests run in a Durable Object whatever it says (worker/README.md "Routing policy").

/** Paths served by pymode.workflows: run records live in the "main" PythonDO's storage. */
export const WORKFLOW_PATHS: ReadonlySet<string> = new Set(["/workflow/run", "/workflow/status", "/workflow/resume", "/workflow/runs", "/workflow/info"]);

export function isDurableObjectPath(pathname: string): boolean {
  return WORKFLOW_PATHS.has(pathname);
}

export const ROUTING_MODES = ["isolate", "single", "sharded", "per-request"] as const;
export type RoutingMode = (typeof ROUTING_MODES)[number];

/** PYMODE_ROUTING, checked: "isolate" when unset. */
export function routingMode(env: Record<string, unknown>): RoutingMode {
  const mode = env.PYMODE_ROUTING ?? "isolate";
  if (!(ROUTING_MODES as readonly unknown[]).includes(mode)) {
    throw new Error(`PYMODE_ROUTING must be one of ${ROUTING_MODES.join(", ")}, got ${JSON.stringify(mode)}`);
  }
  return mode as RoutingMode;
}

/** Why Python in the isolate has no Durable Object storage (kind do_storage), and what provides it. */
export const ISOLATE_NO_STORAGE =
  "Durable Object storage is not available to Python in the Worker isolate (PYMODE_ROUTING=isolate); " +
  'route the worker to a Durable Object (PyModeWorker spec.routing.mode: single, or [tool.pymode] routing = "single")';

// Which suspension driver a node-host test bundles for (no test-framework imports: extension-run.mjs
// bundles extension-harness.ts, which uses this, outside vitest).

/**
 * JSPI where this Node has it (>= 24; worker/test.sh runs the node suites again on Node 26 from
 * scripts/node-jspi.sh), else Asyncify (Node 20). workerd tests take the bundle's default (auto: JSPI).
 */
export const NODE_HOST_DRIVER: "jspi" | "asyncify" = typeof (WebAssembly as any).Suspending === "function" ? "jspi" : "asyncify";

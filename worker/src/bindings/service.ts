// Kind "service": a service binding to another Worker (docs/abi.md §3 Service). Python's
// `env.OTHER.fetch(...)` sends an HTTP request to that Worker; the op is the http kind's fetch.

import { DeclaredKind } from "./kind";
import { fetchOp } from "./http";

export const service: DeclaredKind<{ fetch: typeof fetch }> = {
  name: "service",
  scope: "declared",
  label: "service binding",
  // A Fetcher; a queue, KV, R2 or D1 object has no fetch method.
  isBinding: (b) => typeof b?.fetch === "function",
  ops: {
    fetch: (svc, args, blobs, ctx) => fetchOp((input, init) => svc.fetch(input as any, init), "service.fetch", args, blobs, ctx.maxHttpResponseBytes),
  },
};

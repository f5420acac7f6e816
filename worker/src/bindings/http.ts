// Kind "http": outbound HTTP fetch (docs/abi.md §3 HTTP). `fetchOp` is also the `fetch` op of the
// service kind (service.ts), which sends the same request to another Worker instead.

import { HostError, OpResult, STATUS } from "../runtime/bindings";
import { BodyTooLarge, readBody } from "../runtime/service";
import { HostKind, bad, str } from "./kind";

/** The response body, at most `limit` bytes (more → LIMIT_EXCEEDED). */
async function readLimited(resp: Response, limit: number): Promise<Uint8Array> {
  const tooLarge = () => new HostError(STATUS.LIMIT, `response body exceeds ${limit} bytes`);
  // A body of a declared size within the limit, arriving as it was sent (no content coding the runtime undoes,
  // which could make it larger), is read in one call instead of chunk by chunk through a stream reader.
  const declared = resp.headers.get("content-length");
  const coding = resp.headers.get("content-encoding");
  if (declared !== null && /^\d+$/.test(declared) && Number(declared) <= limit && (coding === null || coding === "identity")) {
    const body = new Uint8Array(await resp.arrayBuffer());
    if (body.byteLength > limit) throw tooLarge();
    return body;
  }
  try {
    return await readBody(resp.body, limit);
  } catch (e) {
    if (e instanceof BodyTooLarge) throw tooLarge();
    throw e;
  }
}

/** args `{url, method, headers: [[name, value]], redirect?}`, blob 0 = body → `{status, statusText, headers, url}` + body. */
export async function fetchOp(fetchFn: typeof fetch, what: string, args: any, blobs: Uint8Array[], maxBytes: number): Promise<OpResult> {
  const url = str(args, "url", what);
  const method = (args.method ?? "GET").toUpperCase();
  const headers = new Headers();
  for (const h of args.headers ?? []) {
    if (!Array.isArray(h) || h.length !== 2) throw bad(`${what}: "headers" must be [[name, value], ...]`);
    headers.append(String(h[0]), String(h[1]));
  }
  const redirect = args.redirect ?? "follow";
  if (redirect !== "follow" && redirect !== "manual") throw bad(`${what}: "redirect" must be "follow" or "manual"`);
  const hasBody = blobs[0] !== undefined && method !== "GET" && method !== "HEAD";
  let resp: Response;
  try {
    resp = await fetchFn(url, { method, headers, body: hasBody ? blobs[0] : undefined, redirect });
  } catch (e) {
    throw new HostError(STATUS.IO, `fetch ${url}: ${e instanceof Error ? e.message : String(e)}`);
  }
  const body = await readLimited(resp, maxBytes);
  return {
    meta: { status: resp.status, statusText: resp.statusText, headers: [...resp.headers], url: resp.url || url },
    blobs: [body],
  };
}

export const http: HostKind<typeof fetch> = {
  name: "http",
  scope: "host",
  locate: (ctx) => ctx.fetch,
  ops: {
    fetch: (fetchFn, args, blobs, ctx) => fetchOp(fetchFn, "http.fetch", args, blobs, ctx.maxHttpResponseBytes),
  },
};

// Frame codec (docs/abi.md §1): a frame list is a byte string of fields, each
// field = u32 little-endian length followed by that many bytes. No count prefix.
// The codec itself is plain JavaScript (frame-list.mjs), shared with the node build scripts and the
// runtime's node host; this module adds the typed field readers and the HTTP frames.

import { decodeFrames, encodeFrames, FrameError } from "./frame-list.mjs";

export { decodeFrames, encodeFrames, FrameError, toBytes } from "./frame-list.mjs";
export type { FieldInput } from "./frame-list.mjs";

const dec = new TextDecoder();

export function utf8(b: Uint8Array): string {
  return dec.decode(b);
}

export function jsonField(b: Uint8Array | undefined): unknown {
  if (b === undefined) throw new FrameError("missing JSON field");
  const text = dec.decode(b);
  try {
    return JSON.parse(text);
  } catch (e) {
    throw new FrameError(`invalid JSON field: ${(e as Error).message}`);
  }
}

// ---- HTTP request/response frames (docs/abi.md §5) ----

export interface RequestHead {
  method: string;
  url: string;
  headers: [string, string][];
}

export interface ResponseHead {
  status: number;
  headers: [string, string][];
}

export function encodeHttpRequest(head: RequestHead, body: Uint8Array): Uint8Array {
  return encodeFrames(["request", JSON.stringify(head), body]);
}

export function decodeHttpRequest(buf: Uint8Array): { head: RequestHead; body: Uint8Array } {
  const f = decodeFrames(buf);
  if (f.length < 2 || utf8(f[0]!) !== "request") {
    throw new FrameError('request frames must start with "request" and a JSON head');
  }
  const head = jsonField(f[1]) as RequestHead;
  return { head, body: f[2] ?? new Uint8Array(0) };
}

export function encodeHttpResponse(head: ResponseHead, body: Uint8Array): Uint8Array {
  return encodeFrames([JSON.stringify(head), body]);
}

export function decodeHttpResponse(buf: Uint8Array): { head: ResponseHead; body: Uint8Array } {
  const f = decodeFrames(buf);
  if (f.length < 1) throw new FrameError("empty response frames");
  const head = jsonField(f[0]) as ResponseHead;
  if (!head || typeof head.status !== "number" || !Array.isArray(head.headers)) {
    throw new FrameError("response head must be {status:int, headers:[[name,value]]}");
  }
  return { head, body: f[1] ?? new Uint8Array(0) };
}

// Frame codec (docs/abi.md §1): a frame list is a byte string of fields, each
// field = u32 little-endian length followed by that many bytes. No count prefix.

const enc = new TextEncoder();
const dec = new TextDecoder();

export type FieldInput = Uint8Array | ArrayBuffer | string;

export function toBytes(f: FieldInput): Uint8Array {
  if (typeof f === "string") return enc.encode(f);
  if (f instanceof Uint8Array) return f;
  return new Uint8Array(f);
}

/** Encode fields into one frame list. */
export function encodeFrames(fields: FieldInput[]): Uint8Array {
  const parts = fields.map(toBytes);
  let total = 0;
  for (const p of parts) total += 4 + p.byteLength;
  const out = new Uint8Array(total);
  const view = new DataView(out.buffer);
  let off = 0;
  for (const p of parts) {
    view.setUint32(off, p.byteLength, true);
    out.set(p, off + 4);
    off += 4 + p.byteLength;
  }
  return out;
}

export class FrameError extends Error {
  constructor(message: string) {
    super(message);
    this.name = "FrameError";
  }
}

/** Decode a frame list. Field views share the input's buffer (no copy). */
export function decodeFrames(buf: Uint8Array): Uint8Array[] {
  const view = new DataView(buf.buffer, buf.byteOffset, buf.byteLength);
  const fields: Uint8Array[] = [];
  let off = 0;
  while (off < buf.byteLength) {
    if (off + 4 > buf.byteLength) {
      throw new FrameError(`truncated frame header at offset ${off} (buffer is ${buf.byteLength} bytes)`);
    }
    const len = view.getUint32(off, true);
    off += 4;
    if (off + len > buf.byteLength) {
      throw new FrameError(`frame at offset ${off - 4} declares ${len} bytes, only ${buf.byteLength - off} remain`);
    }
    fields.push(buf.subarray(off, off + len));
    off += len;
  }
  return fields;
}

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

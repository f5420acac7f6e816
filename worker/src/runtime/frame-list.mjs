// The frame list of the host ABI (docs/abi.md §1): a byte string of fields, each field = u32 little-endian
// length followed by that many bytes; no count prefix. Strings are encoded as UTF-8.
// Plain JavaScript (types in frame-list.d.mts) so that the one codec serves the worker's TypeScript
// (frames.ts re-exports it), the node build scripts (worker/scripts) and the runtime's standalone node host
// (builder-image/runtime/pymode-host.mjs), none of which can load TypeScript.

const enc = new TextEncoder();

/** A field as bytes: a string as UTF-8, a Uint8Array as it is, an ArrayBuffer viewed. */
export function toBytes(f) {
  if (typeof f === "string") return enc.encode(f);
  if (f instanceof Uint8Array) return f;
  return new Uint8Array(f);
}

/** Encode fields into one frame list. */
export function encodeFrames(fields) {
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
  constructor(message) {
    super(message);
    this.name = "FrameError";
  }
}

/** Decode a frame list. Field views share the input's buffer (no copy). */
export function decodeFrames(buf) {
  const view = new DataView(buf.buffer, buf.byteOffset, buf.byteLength);
  const fields = [];
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

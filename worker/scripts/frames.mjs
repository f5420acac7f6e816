// The frame list of the host ABI (docs/abi.md §1: `u32 LE length` + bytes per field), for the build scripts:
// the app image (bundle.mjs) and the stdlib's asset groups (stdlib-assets.mjs). Strings are encoded as UTF-8.
const te = new TextEncoder();

export function encodeFrames(fields) {
  const bytes = fields.map((f) => (typeof f === "string" ? te.encode(f) : f));
  let total = 0;
  for (const f of bytes) total += 4 + f.byteLength;
  const out = new Uint8Array(total);
  const v = new DataView(out.buffer);
  let off = 0;
  for (const f of bytes) {
    v.setUint32(off, f.byteLength, true);
    out.set(f, off + 4);
    off += 4 + f.byteLength;
  }
  return out;
}

// Kind "r2": an R2 bucket (docs/abi.md §3 R2).

import { DeclaredKind, bad, pick, str } from "./kind";

function r2Obj(o: any): Record<string, unknown> {
  const hm: Record<string, unknown> = {};
  for (const [k, v] of Object.entries(o.httpMetadata ?? {})) hm[k] = v instanceof Date ? v.toISOString() : v;
  return {
    key: o.key,
    size: o.size,
    etag: o.etag,
    httpEtag: o.httpEtag,
    uploaded: o.uploaded instanceof Date ? o.uploaded.toISOString() : String(o.uploaded),
    httpMetadata: hm,
    customMetadata: { ...(o.customMetadata ?? {}) },
  };
}

export const r2: DeclaredKind<any> = {
  name: "r2",
  scope: "declared",
  label: "R2 bucket",
  isBinding: (b) => typeof b?.head === "function" && typeof b?.put === "function",
  ops: {
    async get(bucket, args) {
      const o = await bucket.get(str(args, "key", "r2.get"));
      if (!o) return { meta: { found: false } };
      return { meta: { found: true, object: r2Obj(o) }, blobs: [new Uint8Array(await o.arrayBuffer())] };
    },
    async head(bucket, args) {
      const o = await bucket.head(str(args, "key", "r2.head"));
      return o ? { meta: { found: true, object: r2Obj(o) } } : { meta: { found: false } };
    },
    async put(bucket, args, blobs) {
      const o = await bucket.put(str(args, "key", "r2.put"), blobs[0] ?? new Uint8Array(0), pick(args, ["httpMetadata", "customMetadata"]));
      return { meta: { object: r2Obj(o) } };
    },
    async delete(bucket, args) {
      const keys = args.keys;
      if (!Array.isArray(keys) || keys.some((k) => typeof k !== "string")) throw bad('r2.delete: "keys" must be a list of strings');
      if (keys.length) await bucket.delete(keys);
      return { meta: null };
    },
    async list(bucket, args) {
      const r = await bucket.list({ include: ["httpMetadata", "customMetadata"], ...pick(args, ["prefix", "limit", "cursor", "delimiter"]) });
      const meta: Record<string, unknown> = {
        objects: r.objects.map(r2Obj),
        truncated: r.truncated,
        delimitedPrefixes: r.delimitedPrefixes ?? [],
      };
      if (r.truncated && r.cursor) meta.cursor = r.cursor;
      return { meta };
    },
  },
};

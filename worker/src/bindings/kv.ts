// Kind "kv": a Workers KV namespace (docs/abi.md §3 KV).

import { DeclaredKind, pick, str } from "./kind";

export const kv: DeclaredKind<any> = {
  name: "kv",
  scope: "declared",
  label: "KV namespace",
  isBinding: (b) => typeof b?.getWithMetadata === "function" && typeof b?.list === "function",
  ops: {
    async get(ns, args) {
      const r = await ns.getWithMetadata(str(args, "key", "kv.get"), { type: "arrayBuffer" });
      if (r.value === null) return { meta: { found: false } };
      const meta: Record<string, unknown> = { found: true };
      if (r.metadata !== null && r.metadata !== undefined) meta.metadata = r.metadata;
      return { meta, blobs: [new Uint8Array(r.value)] };
    },
    async put(ns, args, blobs) {
      await ns.put(str(args, "key", "kv.put"), blobs[0] ?? new Uint8Array(0), pick(args, ["expirationTtl", "expiration", "metadata"]));
      return { meta: null };
    },
    async delete(ns, args) {
      await ns.delete(str(args, "key", "kv.delete"));
      return { meta: null };
    },
    async list(ns, args) {
      const r = await ns.list(pick(args, ["prefix", "limit", "cursor"]));
      const meta: Record<string, unknown> = {
        keys: r.keys.map((k: any) => {
          const o: Record<string, unknown> = { name: k.name };
          if (k.expiration !== undefined) o.expiration = k.expiration;
          if (k.metadata !== undefined) o.metadata = k.metadata;
          return o;
        }),
        list_complete: r.list_complete,
      };
      if (!r.list_complete && r.cursor) meta.cursor = r.cursor;
      return { meta };
    },
  },
};

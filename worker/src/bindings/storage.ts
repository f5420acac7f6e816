// Kind "do_storage": the storage of the Durable Object the interpreter runs in (docs/abi.md §7).
// The op semantics live in runtime/storage.ts (shared with the node host's MemoryDurableStorage).

import { HostError, STATUS } from "../runtime/bindings";
import { DurableStorageLike, storageOp } from "../runtime/storage";
import { HostKind } from "./kind";

const op = (name: string) => (s: DurableStorageLike, args: any, blobs: Uint8Array[]) => storageOp(s, name, args, blobs);

export const doStorage: HostKind<DurableStorageLike> = {
  name: "do_storage",
  scope: "host",
  locate(ctx) {
    if (!ctx.storage) throw new HostError(STATUS.NOT_SUPPORTED, ctx.noStorageReason ?? "this host has no Durable Object storage");
    return ctx.storage;
  },
  ops: { get: op("get"), put: op("put"), delete: op("delete"), list: op("list"), alarm: op("alarm") },
};

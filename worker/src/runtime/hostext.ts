// Host-side features layered on the plain bindings without new wasm imports (docs/abi.md §7):
// the reserved KV binding `__pymode_do_storage__` (Durable Object storage, storage.ts) and the
// `http` op `tasks` (pymode.parallel fan-out, tasks.ts). Every other call goes to `base`.

import { Bindings, HostError, OpResult, STATUS } from "./bindings";
import { DO_STORAGE_BINDING, DurableStorageLike, storageOp } from "./storage";
import { TaskRunner, runTasks } from "./tasks";

export interface HostExtensions {
  /** This instance's Durable Object storage; absent → NOT_SUPPORTED. */
  storage?: DurableStorageLike;
  /** Runs pymode.parallel tasks; absent → NOT_SUPPORTED with `noTasksReason`. */
  tasks?: TaskRunner;
  noTasksReason?: string;
}

export class ExtendedBindings implements Bindings {
  constructor(
    private readonly base: Bindings,
    private readonly ext: HostExtensions,
  ) {}

  kv(binding: string, op: string, args: any, blobs: Uint8Array[]): Promise<OpResult> {
    if (binding !== DO_STORAGE_BINDING) return this.base.kv(binding, op, args, blobs);
    if (!this.ext.storage) return Promise.reject(new HostError(STATUS.NOT_SUPPORTED, "this host has no Durable Object storage"));
    return storageOp(this.ext.storage, op, args, blobs);
  }
  r2(binding: string, op: string, args: any, blobs: Uint8Array[]): Promise<OpResult> {
    return this.base.r2(binding, op, args, blobs);
  }
  d1(binding: string, op: string, args: any, blobs: Uint8Array[]): Promise<OpResult> {
    return this.base.d1(binding, op, args, blobs);
  }
  http(op: string, args: any, blobs: Uint8Array[]): Promise<OpResult> {
    if (op !== "tasks") return this.base.http(op, args, blobs);
    if (!this.ext.tasks) return Promise.reject(new HostError(STATUS.NOT_SUPPORTED, this.ext.noTasksReason ?? "this host runs no tasks"));
    return runTasks(args, blobs, this.ext.tasks);
  }
  tcp(op: string, args: any, blobs: Uint8Array[]): Promise<OpResult> {
    return this.base.tcp(op, args, blobs);
  }
  close(): Promise<void> | void {
    return this.base.close?.();
  }
}

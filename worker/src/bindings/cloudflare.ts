// The one binding call of docs/abi.md §2 (ABI 2) on the JavaScript hosts: `call(kind, binding, op,
// args, blobs)` looks the kind up in the registry (registry.ts), locates its target (a declared
// binding's object on env, checked to be of that kind, or the host's own facility) and runs the op.
// workerd passes Cloudflare's binding objects, the node test host in-memory ones with the same API.

import { Bindings, HostError, OpResult, STATUS } from "../runtime/bindings";
import type { DurableStorageLike } from "../runtime/storage";
import type { TaskRunner } from "../runtime/tasks";
import { ConnectFn, KindContext, KindState } from "./kind";
import { bindingKind } from "./registry";

export type { ConnectFn, SocketLike } from "./kind";
export { d1Param, d1Value } from "./d1";

export interface CloudflareBindingsOptions {
  env: Record<string, unknown>;
  fetch?: typeof fetch;
  connect?: ConnectFn;
  /** Largest outbound HTTP response body (bytes) handed to Python; larger → LIMIT_EXCEEDED. */
  maxHttpResponseBytes?: number;
  /** Most open TCP sockets per instance. */
  maxSockets?: number;
  /** This instance's Durable Object storage (kind do_storage); absent → NOT_SUPPORTED with `noStorageReason`. */
  storage?: DurableStorageLike;
  noStorageReason?: string;
  /** Runs pymode.parallel tasks (kind tasks); absent → NOT_SUPPORTED with `noTasksReason`. */
  tasks?: TaskRunner;
  noTasksReason?: string;
}

export class CloudflareBindings implements Bindings {
  private readonly ctx: KindContext;
  private readonly states = new Map<string, KindState>();

  constructor(opts: CloudflareBindingsOptions) {
    const states = this.states;
    this.ctx = {
      env: opts.env,
      fetch: opts.fetch ?? ((...a: Parameters<typeof fetch>) => fetch(...a)),
      connect: opts.connect,
      maxHttpResponseBytes: opts.maxHttpResponseBytes ?? 32 * 1024 * 1024,
      maxSockets: opts.maxSockets ?? 64,
      storage: opts.storage,
      noStorageReason: opts.noStorageReason,
      tasks: opts.tasks,
      noTasksReason: opts.noTasksReason,
      state<S extends KindState>(kind: string, create: () => S): S {
        let s = states.get(kind);
        if (!s) states.set(kind, (s = create()));
        return s as S;
      },
    };
  }

  async call(kindName: string, binding: string, op: string, args: any, blobs: Uint8Array[]): Promise<OpResult> {
    const kind = bindingKind(kindName);
    if (!kind) throw new HostError(STATUS.NOT_SUPPORTED, `unknown binding kind ${JSON.stringify(kindName)}`);
    const fn = Object.hasOwn(kind.ops, op) ? kind.ops[op] : undefined;
    let target: unknown;
    if (kind.scope === "declared") {
      const b = this.ctx.env[binding] as any;
      if (b === undefined || b === null) throw new HostError(STATUS.UNKNOWN_BINDING, `no binding named ${JSON.stringify(binding)}`);
      if (!kind.isBinding(b)) throw new HostError(STATUS.UNKNOWN_BINDING, `binding ${JSON.stringify(binding)} is not a ${kind.label} (kind ${kind.name})`);
      target = b;
    } else {
      if (binding !== "") throw new HostError(STATUS.INVALID_ARGUMENT, `${kind.name}: takes no binding name, got ${JSON.stringify(binding)}`);
      target = kind.locate(this.ctx);
    }
    if (!fn) throw new HostError(STATUS.INVALID_ARGUMENT, `${kind.name}: unknown operation ${JSON.stringify(op)}`);
    return fn(target, args ?? {}, blobs, this.ctx);
  }

  async close(): Promise<void> {
    const all = [...this.states.values()];
    this.states.clear();
    await Promise.all(all.map((s) => s.close?.()));
  }
}

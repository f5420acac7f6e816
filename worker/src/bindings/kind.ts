// The binding-kind registry's descriptor type (docs/abi.md §2/§3, worker/README.md "Adding a binding
// kind"). Every kind Python can reach through the one host call `pymode.call(kind, binding, request)`
// is one BindingKind in its own module, listed once in registry.ts. python.wasm knows no kind names,
// so adding a descriptor changes neither the runtime nor any worker's build key.

import { HostError, OpResult, STATUS } from "../runtime/bindings";
import type { DurableStorageLike } from "../runtime/storage";
import type { TaskRunner } from "../runtime/tasks";

/** The subset of `cloudflare:sockets` Socket the tcp kind uses. */
export interface SocketLike {
  readable: ReadableStream<Uint8Array>;
  writable: WritableStream<Uint8Array>;
  opened?: Promise<unknown>;
  closed: Promise<void>;
  close(): Promise<void> | void;
}
export type ConnectFn = (address: { hostname: string; port: number }, options?: { secureTransport?: "off" | "on" | "starttls"; allowHalfOpen: boolean }) => SocketLike;

/** What one python.wasm instance's host gives the kinds (one per instance). */
export interface KindContext {
  /** The Worker's env: the objects of declared bindings live here. */
  readonly env: Record<string, unknown>;
  readonly fetch: typeof fetch;
  readonly connect?: ConnectFn;
  /** Largest HTTP response body (bytes) handed to Python; larger → LIMIT_EXCEEDED. */
  readonly maxHttpResponseBytes: number;
  /** Most open TCP sockets per instance. */
  readonly maxSockets: number;
  /** This instance's Durable Object storage (kind do_storage); absent → NOT_SUPPORTED with noStorageReason. */
  readonly storage?: DurableStorageLike;
  readonly noStorageReason?: string;
  /** Runs pymode.parallel tasks (kind tasks); absent → NOT_SUPPORTED with noTasksReason. */
  readonly tasks?: TaskRunner;
  readonly noTasksReason?: string;
  /** Per-instance state of a kind (e.g. open sockets), made on first use; closed with the instance. */
  state<S extends KindState>(kind: string, create: () => S): S;
}

export interface KindState {
  close?(): Promise<void> | void;
}

export type Op<T> = (target: T, args: any, blobs: Uint8Array[], ctx: KindContext) => Promise<OpResult>;

/**
 * One binding kind. `declared` kinds are objects on env named by the binding and declared in
 * PYMODE_BINDINGS_DECL (`{"NAME": "<kind>"}`); `host` kinds are provided by the host itself and
 * take an empty binding name (http, tcp, do_storage, tasks).
 */
export type BindingKind = DeclaredKind<any> | HostKind<any>;

export interface DeclaredKind<T> {
  readonly name: string;
  readonly scope: "declared";
  /** For error messages: "KV namespace", "queue producer", ... */
  readonly label: string;
  /** Whether an env value is this kind's binding object (duck-typed: the methods the ops use). */
  isBinding(value: any): boolean;
  readonly ops: Readonly<Record<string, Op<T>>>;
}

export interface HostKind<T> {
  readonly name: string;
  readonly scope: "host";
  /** The target of the ops (throws NOT_SUPPORTED when this host lacks it). */
  locate(ctx: KindContext): T;
  readonly ops: Readonly<Record<string, Op<T>>>;
}

export function bad(msg: string): HostError {
  return new HostError(STATUS.INVALID_ARGUMENT, msg);
}

export function str(args: any, name: string, op: string): string {
  const v = args?.[name];
  if (typeof v !== "string") throw bad(`${op}: "${name}" must be a string`);
  return v;
}

/** Copy the options `names` that are set (not null/undefined) from `args`. */
export function pick(args: any, names: string[]): Record<string, unknown> {
  const out: Record<string, unknown> = {};
  for (const k of names) if (args?.[k] !== undefined && args?.[k] !== null) out[k] = args[k];
  return out;
}

export function toB64(b: Uint8Array): string {
  let s = "";
  for (let i = 0; i < b.byteLength; i += 0x8000) s += String.fromCharCode(...b.subarray(i, i + 0x8000));
  return btoa(s);
}
export function fromB64(s: string): Uint8Array {
  const bin = atob(s);
  const out = new Uint8Array(bin.length);
  for (let i = 0; i < bin.length; i++) out[i] = bin.charCodeAt(i);
  return out;
}

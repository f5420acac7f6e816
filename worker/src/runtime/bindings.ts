// The host side of docs/abi.md §2/§3: a Bindings implementation performs one operation
// of one binding kind and returns result metadata plus blobs, or throws a HostError.

export const STATUS = {
  INTERNAL: -1,
  UNKNOWN_BINDING: -2,
  INVALID_ARGUMENT: -3,
  IO: -4,
  LIMIT: -5,
  NOT_SUPPORTED: -6,
} as const;

const CODES: Record<number, string> = {
  [-1]: "INTERNAL",
  [-2]: "UNKNOWN_BINDING",
  [-3]: "INVALID_ARGUMENT",
  [-4]: "IO_ERROR",
  [-5]: "LIMIT_EXCEEDED",
  [-6]: "NOT_SUPPORTED",
};

export class HostError extends Error {
  readonly code: string;
  constructor(
    readonly status: number,
    message: string,
    code?: string,
  ) {
    super(message);
    this.name = "HostError";
    this.code = code ?? CODES[status] ?? "INTERNAL";
  }
}

export interface OpResult {
  /** JSON-serialisable metadata (field0); `null` when there is none. */
  meta: unknown;
  blobs?: Uint8Array[];
}

/**
 * The host side of the one binding call (docs/abi.md §2, ABI 2): one operation `op` of binding kind
 * `kind` on `binding` (empty for host kinds such as http). Implemented by the kind registry
 * (src/bindings/cloudflare.ts); unknown kinds answer NOT_SUPPORTED.
 */
export interface Bindings {
  call(kind: string, binding: string, op: string, args: any, blobs: Uint8Array[]): Promise<OpResult>;
  /** Release per-instance resources (open sockets) when the instance is discarded. */
  close?(): Promise<void> | void;
}

/** A side-module loader (docs/abi.md dl_open/dl_sym; issue #7). Hosts without one answer NOT_SUPPORTED. */
export interface DynamicLinker {
  /** A handle > 0; a number (not a promise) means the module was linked without suspending. */
  open(path: string): number | Promise<number>;
  sym(handle: number, name: string): number;
  /** Called once python.wasm is instantiated, with its exports (issue #7: dynlink.ts). */
  attach?(exports: Record<string, unknown>): void;
  /** Why an async import must not suspend now (a side-module frame is on the stack), or undefined. */
  suspendBlocker?(): string | undefined;
}

export function describeError(e: unknown): HostError {
  if (e instanceof HostError) return e;
  const msg = e instanceof Error ? `${e.name}: ${e.message}` : String(e);
  return new HostError(STATUS.IO, msg);
}

// PythonService: the request path shared by PythonDO, ThreadDO and the node host.
// Holds one warm PythonInstance, replaces it after a trap, enforces body size limits,
// and converts between HTTP and the frames of docs/abi.md §5.

import { decodeHttpResponse, encodeFrames, encodeHttpRequest, encodeHttpResponse, FrameError, RequestHead } from "./frames";
import { InstanceUnusable, Logger, OutputTooLarge, PythonInstance, TrapError, consoleLogger } from "./instance";
import { BudgetExceeded, StepBudgetExceeded } from "./budget";

export interface Limits {
  /** Largest request body accepted (bytes); larger → 413. */
  maxRequestBytes: number;
  /** Largest response body Python may return (bytes); larger → 502. */
  maxResponseBytes: number;
  /** Time budget of one request once it runs (ms); past it → 503 and a fresh instance (src/runtime/budget.ts). */
  requestTimeoutMs: number;
  /** Requests that may wait behind the running one; more → 503 at once (no unbounded queue). */
  maxQueue: number;
  /** Python steps (backward jumps and calls) one request may run; past it → 503 and a fresh instance. 0 = no budget. */
  maxPythonSteps: number;
}

/**
 * Steps (backward jumps and calls) of one request. On this project's 2-core CI machine (node 20) a loop
 * that adds to a counter runs about 3 million steps a second and `while True: pass` about 35 million
 * (worker/README.md "Limits"), so this stops a runaway loop within 3–30 s: no later than Cloudflare's
 * default CPU limit of 30 s, which would reset the whole object instead.
 */
export const DEFAULT_MAX_PYTHON_STEPS = 100_000_000;

export const DEFAULT_LIMITS: Limits = {
  maxRequestBytes: 10 * 1024 * 1024,
  maxResponseBytes: 25 * 1024 * 1024,
  requestTimeoutMs: 30_000,
  maxQueue: 32,
  maxPythonSteps: DEFAULT_MAX_PYTHON_STEPS,
};

/** Frames add 4 bytes per field and a JSON head: allowed on top of a body limit. */
export const FRAME_OVERHEAD_BYTES = 1 << 20;

/** Retry-After (seconds) on a 503: the instance is replaced or the queue drains within about that. */
export const RETRY_AFTER_SECONDS = 1;

export const FRAMES_CONTENT_TYPE = "application/vnd.pymode.frames";

export function intVar(v: unknown, fallback: number, name: string, unit: string, min = 1): number {
  if (v === undefined || v === null || v === "") return fallback;
  const n = Number(v);
  if (!Number.isInteger(n) || n < min) throw new Error(`${name} must be an integer number of ${unit} >= ${min}, got ${JSON.stringify(v)}`);
  return n;
}

/** Limits from the worker vars of worker/README.md "Limits". */
export function limitsFromEnv(env: Record<string, unknown>): Limits {
  return {
    maxRequestBytes: intVar(env.PYMODE_MAX_REQUEST_BYTES, DEFAULT_LIMITS.maxRequestBytes, "PYMODE_MAX_REQUEST_BYTES", "bytes"),
    maxResponseBytes: intVar(env.PYMODE_MAX_RESPONSE_BYTES, DEFAULT_LIMITS.maxResponseBytes, "PYMODE_MAX_RESPONSE_BYTES", "bytes"),
    requestTimeoutMs: intVar(env.PYMODE_REQUEST_TIMEOUT_MS, DEFAULT_LIMITS.requestTimeoutMs, "PYMODE_REQUEST_TIMEOUT_MS", "ms"),
    maxQueue: intVar(env.PYMODE_MAX_QUEUE, DEFAULT_LIMITS.maxQueue, "PYMODE_MAX_QUEUE", "requests", 0),
    maxPythonSteps: intVar(env.PYMODE_MAX_PYTHON_STEPS, DEFAULT_LIMITS.maxPythonSteps, "PYMODE_MAX_PYTHON_STEPS", "steps", 0),
  };
}

export class BodyTooLarge extends Error {
  constructor(readonly limit: number) {
    super(`request body exceeds ${limit} bytes`);
  }
}

/** Read a body stream into memory, failing as soon as it passes `limit` bytes. */
export async function readBody(body: ReadableStream<Uint8Array> | null, limit: number): Promise<Uint8Array> {
  if (!body) return new Uint8Array(0);
  const reader = body.getReader();
  const chunks: Uint8Array[] = [];
  let total = 0;
  for (;;) {
    const { done, value } = await reader.read();
    if (done) break;
    total += value.byteLength;
    if (total > limit) {
      await reader.cancel().catch(() => undefined);
      throw new BodyTooLarge(limit);
    }
    chunks.push(value);
  }
  const out = new Uint8Array(total);
  let off = 0;
  for (const c of chunks) {
    out.set(c, off);
    off += c.byteLength;
  }
  return out;
}

/**
 * Headers a client may not send: `x-pymode-warmup` makes pymode._handler only load the entry
 * (204), an internal signal the host sends itself.
 */
export const STRIPPED_REQUEST_HEADERS = new Set(["x-pymode-warmup"]);

/** Serialise an HTTP request into request frames; throws BodyTooLarge. */
export async function requestToFrames(request: Request, limits: Limits): Promise<Uint8Array> {
  const declared = request.headers.get("content-length");
  if (declared !== null && Number(declared) > limits.maxRequestBytes) throw new BodyTooLarge(limits.maxRequestBytes);
  const body = request.method === "GET" || request.method === "HEAD" ? new Uint8Array(0) : await readBody(request.body, limits.maxRequestBytes);
  const head: RequestHead = { method: request.method, url: request.url, headers: [...request.headers].filter(([k]) => !STRIPPED_REQUEST_HEADERS.has(k.toLowerCase())) };
  return encodeHttpRequest(head, body);
}

export function errorResponseFrames(status: number, error: string, detail?: string): Uint8Array {
  const body = JSON.stringify(detail === undefined ? { error } : { error, detail });
  const headers: [string, string][] = [["content-type", "application/json"]];
  // Every 503 of the host is temporary: a fresh instance or a shorter queue is moments away.
  if (status === 503) headers.push(["retry-after", String(RETRY_AFTER_SECONDS)]);
  return encodeHttpResponse({ status, headers }, new TextEncoder().encode(body));
}

/** Turn response frames into a Response. Headers are appended in order (repeatable headers survive). */
export function framesToResponse(frames: Uint8Array): Response {
  const { head, body } = decodeHttpResponse(frames);
  const headers = new Headers();
  for (const [k, v] of head.headers) headers.append(k, v);
  const nullBody = head.status === 204 || head.status === 205 || head.status === 304 || head.status === 101;
  return new Response(nullBody ? null : body, { status: head.status, headers });
}

function tooLargeFrames(size: number, limits: Limits, log: Logger): Uint8Array {
  log({ level: 40, source: "host", message: `response of ${size} bytes exceeds PYMODE_MAX_RESPONSE_BYTES=${limits.maxResponseBytes}` });
  return errorResponseFrames(502, "response body too large", `limit ${limits.maxResponseBytes} bytes`);
}

/** The 503 for a request whose instance was lost: the error names the budget that ran out, if one did. */
export function lostInstanceFrames(e: TrapError): Uint8Array {
  if (e.cause instanceof BudgetExceeded) return errorResponseFrames(503, "request timed out", e.message);
  if (e.cause instanceof StepBudgetExceeded) return errorResponseFrames(503, "request exceeded its CPU budget", e.message);
  return errorResponseFrames(503, "python runtime unavailable", e.message);
}

/** Python's response frames if they decode and fit PYMODE_MAX_RESPONSE_BYTES, else the 502 that replaces them. */
export function checkedResponse(out: Uint8Array, limits: Limits, log: Logger): Uint8Array {
  let decoded;
  try {
    decoded = decodeHttpResponse(out);
  } catch (e) {
    log({ level: 40, source: "host", message: `invalid response frames from python: ${(e as Error).message}` });
    return errorResponseFrames(502, "invalid response from the python handler");
  }
  if (decoded.body.byteLength > limits.maxResponseBytes) return tooLargeFrames(decoded.body.byteLength, limits, log);
  return out;
}

export interface ServiceOptions {
  /** Creates a fresh, initialised instance. */
  factory: () => Promise<PythonInstance>;
  limits?: Limits;
  logger?: Logger;
  /** Name for log lines (e.g. "PythonDO", "ThreadDO"). */
  name?: string;
}

export interface ServiceStats {
  instancesCreated: number;
  traps: number;
  requests: number;
  lastTrap?: string;
}

export class PythonService {
  private instance: Promise<PythonInstance> | undefined;
  readonly limits: Limits;
  private readonly log: Logger;
  readonly stats: ServiceStats = { instancesCreated: 0, traps: 0, requests: 0 };
  /** Requests inside handleFrames: the running one and those queued behind it. */
  private inFlight = 0;

  constructor(private readonly opts: ServiceOptions) {
    this.limits = opts.limits ?? DEFAULT_LIMITS;
    this.log = opts.logger ?? consoleLogger;
  }

  private current: PythonInstance | undefined;

  /** The warm instance, created on first use (or after a trap). */
  warm(): Promise<PythonInstance> {
    if (!this.instance) {
      this.stats.instancesCreated++;
      const p = this.opts.factory();
      this.instance = p;
      p.then((i) => {
        if (this.instance === p) this.current = i;
      }, () => undefined);
      // A failed creation must not stick: the next request tries again.
      p.catch(() => {
        if (this.instance === p) this.instance = undefined;
      });
    }
    return this.instance;
  }

  private readonly retired = new WeakSet<PythonInstance>();

  /** Log and count a failure; drop the instance (once) so the next request gets a fresh one. */
  private discard(inst: PythonInstance | undefined, reason: string): void {
    if (inst) {
      if (this.retired.has(inst)) return;
      this.retired.add(inst);
      if (this.current === inst) {
        this.instance = undefined;
        this.current = undefined;
      }
      inst.dispose().catch(() => undefined);
    }
    this.stats.traps++;
    this.stats.lastTrap = reason;
    this.log({ level: 40, source: "host", message: `${this.opts.name ?? "python"}: discarding instance: ${reason}` });
  }

  /** Request frames in, response frames out. Never throws: traps and init failures become 503 frames. */
  async handleFrames(reqFrames: Uint8Array): Promise<Uint8Array> {
    this.stats.requests++;
    if (this.inFlight > this.limits.maxQueue) {
      return errorResponseFrames(503, "too many concurrent requests", `${this.limits.maxQueue} already waiting (PYMODE_MAX_QUEUE)`);
    }
    this.inFlight++;
    try {
      return await this.run(reqFrames);
    } finally {
      this.inFlight--;
    }
  }

  private async run(reqFrames: Uint8Array): Promise<Uint8Array> {
    let inst: PythonInstance | undefined;
    const handleOpts = {
      budgetMs: this.limits.requestTimeoutMs,
      maxOutputBytes: this.limits.maxResponseBytes + FRAME_OVERHEAD_BYTES,
      maxSteps: this.limits.maxPythonSteps,
    };
    try {
      let out: Uint8Array;
      for (let attempt = 0; ; attempt++) {
        inst = await this.warm();
        try {
          out = await inst.handle(reqFrames, handleOpts);
          break;
        } catch (e) {
          // Queued behind a request that broke the instance: this one never ran, so run it on a fresh one.
          if (e instanceof InstanceUnusable && attempt < 2) {
            this.discard(inst, inst.broken ?? e.message);
            continue;
          }
          throw e;
        }
      }
      return checkedResponse(out, this.limits, this.log);
    } catch (e) {
      if (e instanceof OutputTooLarge) return this.tooLarge(e.size);
      if (e instanceof TrapError) {
        this.discard(inst?.broken || !inst ? inst : undefined, e.message);
        return lostInstanceFrames(e);
      }
      if (e instanceof FrameError) return errorResponseFrames(400, "invalid request frames", e.message);
      const msg = e instanceof Error ? `${e.name}: ${e.message}` : String(e);
      this.discard(inst, `host error: ${msg}`);
      return errorResponseFrames(503, "python runtime unavailable", msg);
    }
  }

  private tooLarge(size: number): Uint8Array {
    return tooLargeFrames(size, this.limits, this.log);
  }

  /** HTTP in, HTTP out (413 for an oversized request body). */
  fetch(request: Request): Promise<Response> {
    return fetchThrough(this, request);
  }
}

/** What serves request frames: a PythonService (one instance) or an InstancePool (src/runtime/pool.ts). */
export interface FrameHandler {
  readonly limits: Limits;
  handleFrames(frames: Uint8Array): Promise<Uint8Array>;
}

/** HTTP in, HTTP out through `handler` (413 for an oversized request body). */
export async function fetchThrough(handler: FrameHandler, request: Request): Promise<Response> {
  let frames: Uint8Array;
  try {
    frames = await requestToFrames(request, handler.limits);
  } catch (e) {
    if (e instanceof BodyTooLarge) return framesToResponse(errorResponseFrames(413, "request body too large", `limit ${e.limit} bytes`));
    throw e;
  }
  return framesToResponse(await handler.handleFrames(frames));
}

export { encodeFrames };

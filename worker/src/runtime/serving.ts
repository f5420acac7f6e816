// The host side of Python's serving loop (docs/abi.md §8, pylib/pymode/_serve.py): many requests in
// one interpreter, interleaved where they await a host call.
//
// One driven call (POST /__pymode/serve through pymode_handle) runs the loop until no request is left.
// Python talks to this session through the binding call with kind "loop" and op frames, binding "":
//   next   {concurrent?}   -> the events since the last call, at once (never suspends)
//   wait   {timeoutMs?}    -> the same, suspending until there is one (or the timeout passes)
//   start  {kind, binding} + request frames -> {call: id}; the host runs the binding op meanwhile
// and, to hand over a response without copying it into op frames, binding "respond:<request id>" with
// the response frames themselves as the request: the request is answered (empty result).
// An event list is JSON {requests: [id], calls: [[id, status]], cancel: [id]} followed by one blob per
// new request (its request frames) and one per finished call (its result or error frames).

import { decodeFrames, encodeFrames, utf8, FrameError } from "./frames";
import { HostError, STATUS } from "./bindings";

export const LOOP_KIND = "loop";
export const RESPOND_PREFIX = "respond:";

/** What a finished binding op hands back: the call's status (bytes of result, or a negative status) and frames. */
export interface OpOutcome {
  status: number;
  frames: Uint8Array;
}

export interface SessionHost {
  /** Run one binding op (kind, binding, op frames) to its outcome; never rejects. */
  perform(kind: string, binding: string, request: Uint8Array): Promise<OpOutcome>;
}

interface Submitted {
  id: number;
  frames: Uint8Array;
  resolve(out: Uint8Array): void;
  reject(e: unknown): void;
  timer?: ReturnType<typeof setTimeout>;
}

/** A request's time budget ran out before Python answered it (the host answers 503 and cancels its task). */
export class RequestTimedOut extends Error {
  constructor(readonly ms: number) {
    super(`the request did not finish within ${ms} ms (PYMODE_REQUEST_TIMEOUT_MS)`);
    this.name = "RequestTimedOut";
  }
}

export class ServingSession {
  private nextRequest = 1;
  private nextCall = 1;
  /** Submitted, not yet handed to Python. */
  private readonly incoming: Submitted[] = [];
  /** Handed to Python, not yet answered. */
  private readonly delivered = new Map<number, Submitted>();
  private readonly finished: [number, OpOutcome][] = [];
  private readonly cancelled: number[] = [];
  private wake: (() => void) | undefined;
  /** Host calls Python started and has not yet been told about. */
  private running = 0;
  /** Python said its handler is a coroutine: requests may share the interpreter. */
  concurrent = false;
  /** Python has said whether it is (at the start of its first serve call). */
  concurrencyKnown = false;
  /** Called when `concurrent` becomes known (the pool may then give this instance more requests, or start others). */
  onConcurrency: (() => void) | undefined;

  constructor(private readonly host: SessionHost) {}

  /** Requests submitted and not yet answered. */
  get load(): number {
    return this.incoming.length + this.delivered.size;
  }

  /** Queue a request for the loop; resolves with its response frames, rejects with RequestTimedOut or the instance's failure. */
  submit(frames: Uint8Array, timeoutMs?: number): Promise<Uint8Array> {
    return new Promise<Uint8Array>((resolve, reject) => {
      const s: Submitted = { id: this.nextRequest++, frames, resolve, reject };
      if (timeoutMs) s.timer = setTimeout(() => this.timeOut(s, timeoutMs), timeoutMs);
      this.incoming.push(s);
      this.notify();
    });
  }

  private timeOut(s: Submitted, ms: number): void {
    const queued = this.incoming.indexOf(s);
    if (queued >= 0) this.incoming.splice(queued, 1);
    else if (this.delivered.delete(s.id)) this.cancelled.push(s.id);
    else return;
    s.reject(new RequestTimedOut(ms));
    this.notify();
  }

  /**
   * Python's answer to request `id` (binding "respond:<id>"): its response frames, or the error it ends in
   * (e.g. OutputTooLarge, decided before the frames were copied). A request past its time budget was
   * answered already; the late answer is dropped.
   */
  respond(id: number, answer: Uint8Array | Error): void {
    const s = this.delivered.get(id);
    if (!s) return;
    this.delivered.delete(id);
    clearTimeout(s.timer);
    if (answer instanceof Error) s.reject(answer);
    else s.resolve(answer);
  }

  /** The instance is lost: every request not yet answered fails with `e`. */
  failAll(e: unknown): void {
    const all = [...this.incoming, ...this.delivered.values()];
    this.incoming.length = 0;
    this.delivered.clear();
    for (const s of all) {
      clearTimeout(s.timer);
      s.reject(e);
    }
  }

  /** True when requests wait for Python: the serve call should run (or keep running). */
  get hasWork(): boolean {
    return this.incoming.length > 0 || this.delivered.size > 0;
  }

  private notify(): void {
    const w = this.wake;
    this.wake = undefined;
    w?.();
  }

  private hasEvents(): boolean {
    return this.incoming.length > 0 || this.finished.length > 0 || this.cancelled.length > 0;
  }

  /** The events since the last take, as result frames. */
  private take(): Uint8Array {
    const requests = this.incoming.splice(0);
    for (const s of requests) this.delivered.set(s.id, s);
    const calls = this.finished.splice(0);
    const cancel = this.cancelled.splice(0);
    const meta = { requests: requests.map((s) => s.id), calls: calls.map(([id, o]) => [id, o.status]), cancel };
    return encodeFrames([JSON.stringify(meta), ...requests.map((s) => s.frames), ...calls.map(([, o]) => o.frames)]);
  }

  /**
   * One loop op from Python (request frames: op, JSON args, blobs). Returns the result frames at once, or a
   * promise of them for `wait`. Throws HostError for a malformed op.
   */
  op(request: Uint8Array): Uint8Array | Promise<Uint8Array> {
    let fields: Uint8Array[];
    try {
      fields = decodeFrames(request);
    } catch (e) {
      throw new HostError(STATUS.INVALID_ARGUMENT, `loop: ${(e as FrameError).message}`);
    }
    if (fields.length < 2) throw new HostError(STATUS.INVALID_ARGUMENT, "loop: request needs an op name and a JSON argument field");
    const op = utf8(fields[0]!);
    const args = JSON.parse(utf8(fields[1]!)) ?? {};
    const blobs = fields.slice(2);
    switch (op) {
      case "next":
        if (typeof args.concurrent === "boolean" && !this.concurrencyKnown) {
          this.concurrent = args.concurrent;
          this.concurrencyKnown = true;
          queueMicrotask(() => this.onConcurrency?.());
        }
        return this.take();
      case "wait": {
        if (this.hasEvents()) return this.take();
        const timeoutMs = typeof args.timeoutMs === "number" ? Math.max(0, args.timeoutMs) : undefined;
        return new Promise<Uint8Array>((resolve) => {
          const timer = timeoutMs === undefined ? undefined : setTimeout(() => this.notify(), timeoutMs);
          this.wake = () => {
            clearTimeout(timer);
            resolve(this.take());
          };
        });
      }
      case "start": {
        const id = this.nextCall++;
        const kind = String(args.kind ?? "");
        if (kind === LOOP_KIND) throw new HostError(STATUS.INVALID_ARGUMENT, "loop: start takes a binding kind, not loop");
        this.running++;
        this.host.perform(kind, String(args.binding ?? ""), blobs[0] ?? new Uint8Array(0)).then((outcome) => {
          this.running--;
          this.finished.push([id, outcome]);
          this.notify();
        });
        return encodeFrames([JSON.stringify({ call: id })]);
      }
      default:
        throw new HostError(STATUS.INVALID_ARGUMENT, `loop: unknown operation ${JSON.stringify(op)}`);
    }
  }
}

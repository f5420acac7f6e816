// The host side of Python's serving loop (docs/abi.md §7 "The serving loop", pylib/pymode/_serve.py): many requests in
// one interpreter, interleaved where they await a host call, run in turns.
//
// A turn is one driven call (POST /__pymode/serve through pymode_handle): Python takes the events since
// the last turn, runs every task that can run and returns, leaving the others suspended in the
// interpreter. Turns are driven from the request an event belongs to, and every host call a task asks
// for is started from the request that task serves: in workerd the I/O of a request (and the promises
// waiting on it) belongs to that request's context, which ends with the request. While a request waits
// for Python it keeps a timer pending in its own context, so that workerd does not take it for hung.
//
// Another request's context only ever *wakes* a request (resolves a promise it waits on) and never settles its
// answer: the woken request delivers its own answer from its own context. In workerd the continuation of a
// promise resolved from another request's context is handed over to the context that made it, and under load
// that hand-over was seen to be lost now and then: the request then waited with nothing pending and workerd
// cancelled it as hung (500, and its place in the pool was never given back). So each pause waits for either
// the wake or its own timer, whichever comes first, and the timer is cleared only by the request itself.
//
// During a turn Python talks to this session through the binding call with kind "loop", binding "" and
// op frames:
//   next   {concurrent?}                    -> the events since the last call, at once
//   start  {kind, binding, owner} + frames  -> {call: id}; the owner request starts the op
// and, to hand over a response without copying it into op frames, binding "respond:<request id>" with the
// response frames themselves as the request. An event list is JSON {requests: [id], calls: [[id, status]],
// cancel: [id]} followed by one blob per new request (its request frames) and one per finished call (its
// result or error frames).

import { decodeFrames, encodeFrames, utf8, FrameError } from "./frames";
import { HostError, STATUS } from "./bindings";

export const LOOP_KIND = "loop";
export const RESPOND_PREFIX = "respond:";

/** How often a waiting request looks at the clock (its time budget, Python's timers): also its keep-alive. */
const TICK_MS = 50;
/** With this many requests in flight, a turn waits COALESCE_MS for more events to serve together. */
const COALESCE_AT = 8;
const COALESCE_MS = 1;

/** What a finished binding op hands back: the call's status (bytes of result, or a negative status) and frames. */
export interface OpOutcome {
  status: number;
  frames: Uint8Array;
}

export interface SessionHost {
  /** Run one binding op (kind, binding, op frames) to its outcome; never rejects. */
  perform(kind: string, binding: string, request: Uint8Array): Promise<OpOutcome>;
  /** One turn of Python's loop -> seconds until its next timer (null: none); rejects when the instance is lost. */
  turn(): Promise<number | null>;
}

interface HostCall {
  id: number;
  kind: string;
  binding: string;
  frames: Uint8Array;
}

interface Entry {
  id: number;
  frames: Uint8Array;
  deadline: number | undefined;
  budgetMs: number | undefined;
  done: boolean;
  /** Its answer once done, delivered by the request's own loop (in its own context). */
  answer: Uint8Array | Error | undefined;
  /** Host calls its tasks asked for, to be started from this request. */
  calls: HostCall[];
  resolve(out: Uint8Array): void;
  reject(e: unknown): void;
  /** Ends the request's current pause early. */
  wake: (() => void) | undefined;
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
  /** Requests not yet answered, by id. */
  private readonly live = new Map<number, Entry>();
  /** Submitted, not yet handed to Python. */
  private readonly incoming: Entry[] = [];
  private readonly finished: [number, OpOutcome][] = [];
  private readonly cancelled: number[] = [];
  private turning = false;
  /** Something happened that Python has not yet seen in a turn. */
  private turnWanted = false;
  /** When Python's next timer comes due (ms since the epoch). */
  private timerAt: number | undefined;
  /** The session's instance is lost: everything fails with this. */
  private lost: unknown;
  /** Python said its handler is a coroutine: requests may share the interpreter. */
  concurrent = false;
  /** Python has said whether it is (in its first turn). */
  concurrencyKnown = false;
  /** Called when `concurrent` becomes known (the pool may then give this instance more requests, or start others). */
  onConcurrency: (() => void) | undefined;

  constructor(private readonly host: SessionHost) {}

  /** Requests submitted and not yet answered. */
  get load(): number {
    return this.live.size;
  }

  /**
   * Serve a request; resolves with its response frames, rejects with RequestTimedOut or the instance's
   * failure. Must be called from the request's own context: the request drives turns and starts its host
   * calls from there.
   */
  submit(frames: Uint8Array, budgetMs?: number): Promise<Uint8Array> {
    if (this.lost !== undefined) return Promise.reject(this.lost);
    let resolve!: (out: Uint8Array) => void;
    let reject!: (e: unknown) => void;
    const answer = new Promise<Uint8Array>((res, rej) => {
      resolve = res;
      reject = rej;
    });
    const entry: Entry = {
      id: this.nextRequest++,
      frames,
      budgetMs,
      deadline: budgetMs ? Date.now() + budgetMs : undefined,
      done: false,
      answer: undefined,
      calls: [],
      resolve,
      reject,
      wake: undefined,
    };
    this.live.set(entry.id, entry);
    this.incoming.push(entry);
    this.turnWanted = true;
    void this.drive(entry);
    return answer;
  }

  /** The request's own loop, in its context: start its host calls, drive turns, watch the clock. */
  private async drive(entry: Entry): Promise<void> {
    while (!entry.done) {
      for (const call of entry.calls.splice(0)) this.startCall(call, entry);
      const now = Date.now();
      if (entry.deadline !== undefined && now >= entry.deadline) {
        this.finish(entry, new RequestTimedOut(entry.budgetMs!));
        break;
      }
      if (this.timerAt !== undefined && now >= this.timerAt) {
        this.timerAt = undefined;
        this.turnWanted = true;
      }
      if (this.turnWanted && !this.turning) {
        await this.runTurn(this.live.size >= COALESCE_AT);
        continue;
      }
      let pause = TICK_MS;
      if (entry.deadline !== undefined) pause = Math.min(pause, entry.deadline - now);
      if (this.timerAt !== undefined) pause = Math.min(pause, this.timerAt - now);
      // The wake (maybe from another request's context) or this request's own timer, whichever comes first.
      let timer: ReturnType<typeof setTimeout> | undefined;
      const woken = new Promise<void>((r) => {
        entry.wake = r;
      });
      const ticked = new Promise<void>((r) => {
        timer = setTimeout(r, Math.max(0, pause));
      });
      await Promise.race([woken, ticked]);
      clearTimeout(timer);
      entry.wake = undefined;
    }
    const answer = entry.answer!;
    if (answer instanceof Error) entry.reject(answer);
    else entry.resolve(answer);
    // Another request may be waiting for a turn this one would have driven.
    if (this.turnWanted && !this.turning) this.wakeAny();
  }

  private async runTurn(coalesce: boolean): Promise<void> {
    this.turning = true;
    try {
      // Under load, events that arrive within a moment share one turn (each turn costs a call into Python).
      if (coalesce) await new Promise((r) => setTimeout(r, COALESCE_MS));
      this.turnWanted = false;
      const timer = await this.host.turn();
      this.timerAt = timer === null ? undefined : Date.now() + timer * 1000;
    } catch (e) {
      this.failAll(e);
    } finally {
      this.turning = false;
    }
  }

  private wake(entry: Entry | undefined): void {
    entry?.wake?.();
  }

  private wakeAny(): void {
    for (const e of this.live.values()) {
      if (!e.done) return this.wake(e);
    }
  }

  /** Start a host call from its owner's context; its end wakes the owner for a turn. */
  private startCall(call: HostCall, owner: Entry): void {
    this.host.perform(call.kind, call.binding, call.frames).then((outcome) => {
      this.finished.push([call.id, outcome]);
      this.turnWanted = true;
      if (!owner.done) this.wake(owner);
      else this.wakeAny();
    });
  }

  /** `answer` is the request's: its own loop delivers it (woken now if it pauses). */
  private finish(entry: Entry, answer: Uint8Array | Error): void {
    if (entry.done) return;
    entry.done = true;
    entry.answer = answer;
    this.live.delete(entry.id);
    const queued = this.incoming.indexOf(entry);
    if (queued >= 0) this.incoming.splice(queued, 1);
    else if (answer instanceof RequestTimedOut) {
      this.cancelled.push(entry.id);
      this.turnWanted = true;
    }
    this.wake(entry);
  }

  /**
   * Python's answer to request `id` (binding "respond:<id>"): its response frames, or the error it ends in
   * (e.g. OutputTooLarge, decided before the frames were copied). A request past its time budget was
   * answered already; the late answer is dropped.
   */
  respond(id: number, answer: Uint8Array | Error): void {
    const entry = this.live.get(id);
    if (entry) this.finish(entry, answer);
  }

  /** The instance is lost: every request not yet answered, and every later one, fails with `e`. */
  failAll(e: unknown): void {
    this.lost = e;
    for (const entry of [...this.live.values()]) this.finish(entry, e instanceof Error ? e : new Error(String(e)));
  }

  /** The events since the last take, as result frames. */
  private take(): Uint8Array {
    const requests = this.incoming.splice(0);
    const calls = this.finished.splice(0);
    const cancel = this.cancelled.splice(0);
    const meta = { requests: requests.map((s) => s.id), calls: calls.map(([id, o]) => [id, o.status]), cancel };
    return encodeFrames([JSON.stringify(meta), ...requests.map((s) => s.frames), ...calls.map(([, o]) => o.frames)]);
  }

  /** One loop op from Python during a turn (request frames: op, JSON args, blobs) -> its result frames. Throws HostError. */
  op(request: Uint8Array): Uint8Array {
    let fields: Uint8Array[];
    try {
      fields = decodeFrames(request);
    } catch (e) {
      throw new HostError(STATUS.INVALID_ARGUMENT, `loop: ${(e as FrameError).message}`);
    }
    if (fields.length < 2) throw new HostError(STATUS.INVALID_ARGUMENT, "loop: request needs an op name and a JSON argument field");
    const op = utf8(fields[0]!);
    const args = JSON.parse(utf8(fields[1]!)) ?? {};
    switch (op) {
      case "next":
        if (typeof args.concurrent === "boolean" && !this.concurrencyKnown) {
          this.concurrent = args.concurrent;
          this.concurrencyKnown = true;
          queueMicrotask(() => this.onConcurrency?.());
        }
        return this.take();
      case "start": {
        const call: HostCall = { id: this.nextCall++, kind: String(args.kind ?? ""), binding: String(args.binding ?? ""), frames: fields[2] ?? new Uint8Array(0) };
        if (call.kind === LOOP_KIND) throw new HostError(STATUS.INVALID_ARGUMENT, "loop: start takes a binding kind, not loop");
        const owner = typeof args.owner === "number" ? this.live.get(args.owner) : undefined;
        if (owner) {
          owner.calls.push(call);
          this.wake(owner);
        } else {
          // Work left running after its request was answered (a task nobody awaited): in workerd its I/O
          // would belong to no request. ctx.wait_until keeps a request open until such work is done.
          const refused = new HostError(STATUS.NOT_SUPPORTED, `${call.kind}: the request this task served has ended; wait for host calls before answering, or use ctx.wait_until`);
          this.finished.push([call.id, { status: refused.status, frames: encodeFrames([JSON.stringify({ code: refused.code, message: refused.message })]) }]);
        }
        return encodeFrames([JSON.stringify({ call: call.id })]);
      }
      default:
        throw new HostError(STATUS.INVALID_ARGUMENT, `loop: unknown operation ${JSON.stringify(op)}`);
    }
  }
}

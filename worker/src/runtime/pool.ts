// InstancePool: Python in the Worker isolate (worker/README.md "Routing policy", issue #15).
//
// Each instance runs Python's serving loop (src/runtime/serving.ts): a coroutine handler serves many
// requests at once in one interpreter, interleaved where they await a host call; a synchronous one
// serves one at a time. When every instance is full the pool starts another (from the bundle's
// snapshot, so cheaply) while the isolate's memory budget allows, then queues a bounded number of
// requests, then answers 503 with Retry-After. Instances are replaced after a trap, after a number of
// requests, or once their linear memory grows past a threshold.

import { Logger, OutputTooLarge, PythonInstance, TrapError, consoleLogger } from "./instance";
import { RequestTimedOut } from "./serving";
import { FRAME_OVERHEAD_BYTES, Limits, checkedResponse, errorResponseFrames, intVar, lostInstanceFrames } from "./service";

export interface PoolLimits {
  /** Linear memory all instances may use together (bytes); a new instance starts only if it fits. */
  memoryBudgetBytes: number;
  /** Most instances at once, whatever the memory. */
  maxInstances: number;
  /** Requests one instance of a coroutine handler serves at once. */
  concurrencyPerInstance: number;
  /** Requests an instance serves before it is replaced (0: no limit; 1: a fresh interpreter per request). */
  maxRequestsPerInstance: number;
  /** An instance whose linear memory grew past this (bytes) takes no new requests and is replaced. */
  instanceMemoryBytes: number;
}

/**
 * Cloudflare gives an isolate 128 MB (JavaScript heap, compiled code and every instance's linear memory):
 * 80 MB of linear memory leaves room for the rest.
 */
export const DEFAULT_POOL_LIMITS: PoolLimits = {
  memoryBudgetBytes: 80 * 1024 * 1024,
  maxInstances: 8,
  concurrencyPerInstance: 64,
  maxRequestsPerInstance: 0,
  instanceMemoryBytes: 48 * 1024 * 1024,
};


const MB = 1024 * 1024;

/** Pool limits from the worker vars of worker/README.md "Routing policy". */
export function poolLimitsFromEnv(env: Record<string, unknown>): PoolLimits {
  const d = DEFAULT_POOL_LIMITS;
  return {
    memoryBudgetBytes: intVar(env.PYMODE_POOL_MEMORY_MB, d.memoryBudgetBytes / MB, "PYMODE_POOL_MEMORY_MB", "MiB") * MB,
    maxInstances: intVar(env.PYMODE_POOL_MAX_INSTANCES, d.maxInstances, "PYMODE_POOL_MAX_INSTANCES", "instances"),
    concurrencyPerInstance: intVar(env.PYMODE_POOL_CONCURRENCY, d.concurrencyPerInstance, "PYMODE_POOL_CONCURRENCY", "requests"),
    maxRequestsPerInstance: intVar(env.PYMODE_POOL_MAX_REQUESTS, d.maxRequestsPerInstance, "PYMODE_POOL_MAX_REQUESTS", "requests", 0),
    instanceMemoryBytes: intVar(env.PYMODE_POOL_INSTANCE_MEMORY_MB, d.instanceMemoryBytes / MB, "PYMODE_POOL_INSTANCE_MEMORY_MB", "MiB") * MB,
  };
}

export interface PoolOptions {
  /** Creates a fresh, initialised instance. */
  factory: () => Promise<PythonInstance>;
  limits: Limits;
  pool?: PoolLimits;
  logger?: Logger;
}

export interface PoolStats {
  requests: number;
  instancesCreated: number;
  instancesRetired: number;
  traps: number;
  /** Requests answered 503 because the pool and its queue were full. */
  rejected: number;
  peakInstances: number;
  peakInFlight: number;
  lastTrap?: string;
}

interface Member {
  instance: PythonInstance;
  /** Requests given to it and not yet answered. */
  load: number;
  /** Requests given to it in all. */
  admitted: number;
  /** Takes no new requests (it is replaced once its load drains). */
  retiring: boolean;
}

/**
 * A request waiting for room: `admit` (maybe from another request's context) decides where it goes, an
 * instance or its final answer; the request picks the decision up in its own context.
 */
interface Waiting {
  admit(to: Member | Uint8Array): void;
  decided: Member | Uint8Array | undefined;
}

/** How often a request waiting for room wakes: a timer pending in its context keeps workerd from taking it for hung. */
const KEEPALIVE_MS = 50;

export class InstancePool {
  readonly stats: PoolStats = { requests: 0, instancesCreated: 0, instancesRetired: 0, traps: 0, rejected: 0, peakInstances: 0, peakInFlight: 0 };
  private readonly members: Member[] = [];
  private readonly waiting: Waiting[] = [];
  private starting = 0;
  private inFlight = 0;
  private readonly poolLimits: PoolLimits;
  private readonly log: Logger;

  constructor(private readonly opts: PoolOptions) {
    this.poolLimits = opts.pool ?? DEFAULT_POOL_LIMITS;
    this.log = opts.logger ?? consoleLogger;
  }

  get limits(): Limits {
    return this.opts.limits;
  }

  /** Instances alive now (serving or idle). */
  get size(): number {
    return this.members.length;
  }

  /** Linear memory of every live instance (bytes). */
  memoryBytes(): number {
    return this.members.reduce((n, m) => n + m.instance.memoryBytes(), 0);
  }

  /** Request frames in, response frames out. Never throws: overload, traps and timeouts become 503 frames. */
  async handleFrames(frames: Uint8Array): Promise<Uint8Array> {
    this.stats.requests++;
    // In workerd a request's I/O belongs to its own context: the request is served from here, after the
    // pool admitted it, never from the context of the request whose end made room.
    const slot: Waiting = { admit: () => undefined, decided: undefined };
    const woken = new Promise<void>((r) => {
      slot.admit = (to) => {
        slot.decided ??= to;
        r();
      };
    });
    this.waiting.push(slot);
    this.dispatch();
    // Requests an instance that is starting will take are not queued behind anything.
    if (slot.decided === undefined && this.waiting.length - this.starting > this.opts.limits.maxQueue) {
      // The queue is full: the newest request is the one turned away (older ones keep their place).
      this.waiting.pop();
      this.stats.rejected++;
      slot.admit(errorResponseFrames(503, "too many concurrent requests", `every Python instance is busy and ${this.opts.limits.maxQueue} requests wait (PYMODE_MAX_QUEUE)`));
    }
    if (slot.decided === undefined) {
      // Admitted from another request's context (src/runtime/serving.ts says why that wake may not arrive): a
      // timer pending in this request's own context keeps workerd from taking it for hung and picks the decision
      // up if the wake does not.
      let keepAlive: ReturnType<typeof setInterval> | undefined;
      const polled = new Promise<void>((r) => {
        keepAlive = setInterval(() => {
          if (slot.decided !== undefined) r();
        }, KEEPALIVE_MS);
      });
      await Promise.race([woken, polled]);
      clearInterval(keepAlive);
    }
    const admitted = slot.decided!;
    if (admitted instanceof Uint8Array) return admitted;
    return this.run(admitted, frames);
  }

  /** Hand waiting requests to instances with room, starting instances while the budget allows. */
  private dispatch(): void {
    while (this.waiting.length > 0) {
      const member = this.roomiest();
      if (member) {
        this.take(member);
        this.waiting.shift()!.admit(member);
        continue;
      }
      // Requests waiting for instances already starting do not start more.
      if (this.waiting.length > this.starting && this.canStart()) {
        this.start();
        continue;
      }
      return;
    }
  }

  private capacity(m: Member): number {
    return m.instance.servingSession?.concurrent ? this.poolLimits.concurrencyPerInstance : 1;
  }

  /** The usable instance with room that is busiest (fill one before waking another: memory is the scarce part). */
  private roomiest(): Member | undefined {
    let best: Member | undefined;
    for (const m of this.members) {
      if (m.retiring || m.instance.broken || m.load >= this.capacity(m)) continue;
      if (!best || m.load > best.load) best = m;
    }
    return best;
  }

  private canStart(): boolean {
    const alive = this.members.length + this.starting;
    if (alive >= this.poolLimits.maxInstances) return false;
    if (alive === 0) return true;
    // An instance that has not yet said whether its handler is a coroutine may take them all.
    if (this.members.some((m) => !m.retiring && !m.instance.servingSession?.concurrencyKnown)) return false;
    // The first instance's size is the estimate for the others: wait for it.
    if (this.members.length === 0) return false;
    // The next instance is assumed to need as much as the largest live one.
    const largest = Math.max(0, ...this.members.map((m) => m.instance.memoryBytes()));
    return this.memoryBytes() + this.starting * largest + largest <= this.poolLimits.memoryBudgetBytes;
  }

  private start(): void {
    this.starting++;
    this.stats.instancesCreated++;
    this.opts.factory().then(
      (instance) => {
        this.starting--;
        const member: Member = { instance, load: 0, admitted: 0, retiring: false };
        this.members.push(member);
        this.stats.peakInstances = Math.max(this.stats.peakInstances, this.members.length);
        this.log({ level: 20, source: "host", message: `pool: instance ${this.stats.instancesCreated} started (${this.members.length} live, ${(this.memoryBytes() / MB).toFixed(0)} MiB of linear memory)` });
        this.dispatch();
      },
      (e) => {
        this.starting--;
        const reason = e instanceof Error ? e.message : String(e);
        this.recordTrap(`instance creation failed: ${reason}`);
        // Requests that were waiting for it get the failure rather than waiting for the next arrival.
        const failed = this.waiting.splice(0, Math.max(1, this.waiting.length - this.starting));
        for (const w of failed) w.admit(errorResponseFrames(503, "python runtime unavailable", reason));
        this.dispatch();
      },
    );
  }

  /** Count a request against `member` (at admission, so that the next one sees it full). */
  private take(member: Member): void {
    member.load++;
    member.admitted++;
    this.inFlight++;
    this.stats.peakInFlight = Math.max(this.stats.peakInFlight, this.inFlight);
    if (this.poolLimits.maxRequestsPerInstance && member.admitted >= this.poolLimits.maxRequestsPerInstance) member.retiring = true;
  }

  /** Serve an admitted request on `member`, from the request's own context. */
  private run(member: Member, frames: Uint8Array): Promise<Uint8Array> {
    const limits = this.opts.limits;
    const answer = member.instance.serve(frames, {
      budgetMs: limits.requestTimeoutMs,
      maxOutputBytes: limits.maxResponseBytes + FRAME_OVERHEAD_BYTES,
      maxSteps: limits.maxPythonSteps,
    });
    // Learning whether the handler is a coroutine gives the instance room for more, or lets others start.
    const session = member.instance.servingSession;
    if (session && !session.onConcurrency) session.onConcurrency = () => this.dispatch();
    return answer.then(
      (out) => checkedResponse(out, limits, this.log),
      (e) => this.failure(member, e),
    ).finally(() => {
      member.load--;
      this.inFlight--;
      if (!member.retiring && member.instance.memoryBytes() > this.poolLimits.instanceMemoryBytes) member.retiring = true;
      if (member.retiring && member.load === 0) this.retire(member);
      this.dispatch();
    });
  }

  private failure(member: Member, e: unknown): Uint8Array {
    if (e instanceof RequestTimedOut) {
      // A synchronous handler cannot be cancelled: its instance takes no more requests (its own time
      // budget stops it at the next host call or sleep, its step budget in a loop).
      if (!member.instance.servingSession?.concurrent) member.retiring = true;
      return errorResponseFrames(503, "request timed out", e.message);
    }
    if (e instanceof OutputTooLarge) return errorResponseFrames(502, "response body too large", `limit ${this.opts.limits.maxResponseBytes} bytes`);
    const reason = e instanceof Error ? e.message : String(e);
    // Every request of a lost instance fails together; the instance is replaced once they have.
    if (!member.retiring) {
      member.retiring = true;
      this.recordTrap(reason);
    }
    return lostInstanceFrames(e instanceof TrapError ? e : new TrapError(reason, e));
  }

  private recordTrap(reason: string): void {
    this.stats.traps++;
    this.stats.lastTrap = reason;
    this.log({ level: 40, source: "host", message: `pool: discarding instance: ${reason}` });
  }

  private retire(member: Member): void {
    const i = this.members.indexOf(member);
    if (i < 0) return;
    this.members.splice(i, 1);
    this.stats.instancesRetired++;
    member.instance.dispose().catch(() => undefined);
  }
}

// A bounded set of runtimes, one per key, started on demand and stopped when idle or when the bound
// needs room (least recently used first). The pool knows nothing about workerd: `start(key)` makes a
// runtime, `stop(key, runtime)` disposes it, `isCurrent(key, runtime)` says whether a running one
// still is what the key should run (false after a redeploy changed it).
//
// Per key, starts, swaps and stops run one at a time (so concurrent first requests share one start);
// a runtime that serves a request (a lease) or has an operation queued is never stopped by the
// idle sweep or an eviction. A start that finds the pool full evicts the least recently used idle
// runtime, or waits until one becomes idle.

/** Defaults of `startStandin` and the CLI (README "How scripts run"). */
export const POOL_DEFAULTS = { maxRunning: 32, idleMs: 300_000 };

export class RuntimePool {
  /**
   * @param {object} o
   * @param {number} o.maxRunning at most this many runtimes alive at once; 0 = no limit
   * @param {number} o.idleMs stop a runtime unused this long; 0 = never
   * @param {(key: string) => Promise<object>} o.start
   * @param {(key: string, runtime: object, reason: "idle"|"evicted"|"replaced"|"removed") => Promise<void>} o.stop
   * @param {(key: string, runtime: object) => boolean} o.isCurrent
   * @param {(line: string) => void} o.log
   */
  constructor({ maxRunning, idleMs, start, stop, isCurrent, log }) {
    for (const [name, v] of [["maxRunning", maxRunning], ["idleMs", idleMs]]) {
      if (!Number.isInteger(v) || v < 0) throw new Error(`${name} must be an integer >= 0 (0 = no limit), got ${v}`);
    }
    Object.assign(this, { maxRunning, idleMs, startFn: start, stopFn: stop, isCurrent, log });
    this.entries = new Map(); // key → {key, state, runtime, active, pending, lastUsed, chain}
    this.waiters = []; // starts waiting for room, FIFO
    this.closed = false;
    this.counters = { started: 0, stopped: 0, stopped_idle: 0, stopped_evicted: 0, stopped_replaced: 0, stopped_removed: 0, start_failures: 0, peak_running: 0 };
    this.sweeper = null;
    if (idleMs > 0) {
      this.sweeper = setInterval(() => this.#sweep(), Math.min(Math.max(Math.floor(idleMs / 4), 25), 5000));
      this.sweeper.unref?.();
    }
  }

  #entry(key) {
    let e = this.entries.get(key);
    if (!e) {
      e = { key, state: "stopped", runtime: null, active: 0, pending: 0, lastUsed: 0, chain: Promise.resolve() };
      this.entries.set(key, e);
    }
    return e;
  }

  /** Runtimes alive (starting, running or stopping): what the bound counts. */
  #alive() {
    let n = 0;
    for (const e of this.entries.values()) if (e.state !== "stopped") n++;
    return n;
  }

  /** One operation per key at a time; a key with queued operations is never picked for stopping. */
  #serial(e, fn) {
    e.pending++;
    const next = e.chain.then(fn, fn);
    e.chain = next.catch(() => {});
    return next.finally(() => {
      e.pending--;
      this.#wake();
    });
  }

  /** Let the first waiting start look for room again (something was freed or became idle). */
  #wake() {
    this.waiters.shift()?.();
  }

  #idle(e) {
    return e.state === "running" && e.active === 0 && e.pending === 0;
  }

  /** The least recently used idle runtime other than `except`, or null. */
  #victim(except) {
    let best = null;
    for (const e of this.entries.values()) if (e !== except && this.#idle(e) && (!best || e.lastUsed < best.lastUsed)) best = e;
    return best;
  }

  /** Wait for room under the bound (evicting if needed), then mark `e` as starting. */
  async #reserve(e) {
    while (this.maxRunning > 0 && this.#alive() >= this.maxRunning) {
      if (this.closed) throw new Error("the stand-in is shutting down");
      const victim = this.#victim(e);
      if (victim) await this.#stopIdle(victim, "evicted").catch((err) => this.log(`evicting runtime ${victim.key} failed: ${err.message}`));
      else await new Promise((resolve) => this.waiters.push(resolve));
    }
    if (this.closed) throw new Error("the stand-in is shutting down");
    e.state = "starting";
    this.counters.peak_running = Math.max(this.counters.peak_running, this.#alive());
    if (this.waiters.length) this.#wake(); // there may be room for the next one too
  }

  /** Make `e` run its current runtime: start it when stopped, replace it when outdated. */
  async #ensure(e) {
    if (this.closed) throw new Error("the stand-in is shutting down");
    if (e.state === "running" && this.isCurrent(e.key, e.runtime)) return e.runtime;
    if (e.state === "running") {
      // Redeploy: start the new one first (a failure leaves the old one serving), then swap.
      const runtime = await this.#started(e.key);
      const old = e.runtime;
      Object.assign(e, { runtime, lastUsed: Date.now() });
      this.counters.stopped++;
      this.counters.stopped_replaced++;
      await this.stopFn(e.key, old, "replaced");
      return runtime;
    }
    await this.#reserve(e);
    try {
      e.runtime = await this.#started(e.key);
    } catch (err) {
      e.state = "stopped";
      throw err;
    }
    Object.assign(e, { state: "running", lastUsed: Date.now() });
    return e.runtime;
  }

  async #started(key) {
    try {
      const runtime = await this.startFn(key);
      this.counters.started++;
      return runtime;
    } catch (err) {
      this.counters.start_failures++;
      throw err;
    }
  }

  /** Stop an idle runtime: marked stopping at once, so nothing else picks or leases it meanwhile. */
  #stopIdle(e, reason) {
    e.state = "stopping";
    return this.#stopOp(e, reason);
  }

  /** Queue the disposal of `e`'s runtime (if it has one when the operation runs). */
  #stopOp(e, reason) {
    return this.#serial(e, async () => {
      const runtime = e.runtime;
      e.runtime = null;
      if (!runtime) {
        e.state = "stopped";
        return;
      }
      e.state = "stopping";
      try {
        await this.stopFn(e.key, runtime, reason);
      } finally {
        e.state = "stopped";
        this.counters.stopped++;
        this.counters[`stopped_${reason}`]++;
      }
    });
  }

  #sweep() {
    const now = Date.now();
    for (const e of this.entries.values()) {
      if (this.#idle(e) && now - e.lastUsed >= this.idleMs) this.#stopIdle(e, "idle").catch((err) => this.log(`stopping idle runtime ${e.key} failed: ${err.message}`));
    }
    if (this.waiters.length) this.#wake();
  }

  /** Start (or update) the key's runtime now, as a deploy does; resolves to the runtime. */
  ensure(key) {
    const e = this.#entry(key);
    return this.#serial(e, () => this.#ensure(e));
  }

  /**
   * The key's runtime for one use (a request, a scheduled event), started on demand. The runtime
   * is not stopped before `release()` is called (once; later calls do nothing).
   */
  async lease(key) {
    const e = this.#entry(key);
    for (;;) {
      if (e.state === "running" && this.isCurrent(key, e.runtime)) {
        e.active++;
        e.lastUsed = Date.now();
        let released = false;
        const release = () => {
          if (released) return;
          released = true;
          e.active--;
          e.lastUsed = Date.now();
          if (e.active === 0) this.#wake();
        };
        return { runtime: e.runtime, release };
      }
      await this.#serial(e, () => this.#ensure(e));
    }
  }

  running(key) {
    return this.entries.get(key)?.state === "running";
  }

  /** Stop the key's runtime, if any, and forget the key (the script was deleted, or shutdown). */
  async remove(key) {
    const e = this.entries.get(key);
    if (!e) return;
    await this.#stopOp(e, "removed");
    if (e.pending === 0 && e.state === "stopped") this.entries.delete(key);
  }

  stats() {
    const states = { starting: 0, running: 0, stopping: 0 };
    for (const e of this.entries.values()) if (e.state in states) states[e.state]++;
    return { ...states, max_running: this.maxRunning || null, idle_stop_ms: this.idleMs || null, waiting: this.waiters.length, ...this.counters };
  }

  async close() {
    this.closed = true;
    clearInterval(this.sweeper);
    for (const wake of this.waiters.splice(0)) wake();
    await Promise.all([...this.entries.keys()].map((k) => this.remove(k)));
  }
}

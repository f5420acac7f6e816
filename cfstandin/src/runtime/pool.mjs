// A bounded set of runtimes, one per key, started on demand and stopped when idle or when the bound
// needs room (least recently used first). The pool knows nothing about workerd: `start(key)` makes a
// runtime, `stop(key, runtime)` disposes it, `isCurrent(key, runtime)` says whether a running one
// still is what the key should run (false after a redeploy changed it).
//
// Per key, starts, swaps and stops run one at a time (so concurrent first requests share one start);
// a runtime that serves a request (a lease) or has an operation queued is never stopped by the
// idle sweep or an eviction. A start that finds the pool full evicts the least recently used idle
// runtime, or waits until one becomes idle.
//
// Fairness: waiting starts get room in arrival order, and room is handed over at the moment it
// appears, not when a woken start gets round to looking. While starts wait, a runtime that becomes
// idle (its last lease released, a start or swap done) is evicted for the oldest of them at once;
// a request for that runtime's own script arriving after that finds it stopping and queues behind
// the earlier starts like any other. So runtimes that are busy only in bursts (polled scripts)
// cannot keep every slot while starts wait. A start arriving while others wait queues behind them
// even when it could evict something itself. The lease that starts a runtime takes it in the same
// step, so a new runtime is never evicted before it has served the request it was started for.
//
// Removal is marked on the key the moment it is asked for, before its stop gets its turn: from then
// on no lease takes the key's runtime, not even one queued earlier whose start finishes meanwhile.
// Such requests queue behind the removal and get a fresh start then, under the rules above.

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
   * @param {() => number} [o.now] the clock in ms (tests give their own)
   */
  constructor({ maxRunning, idleMs, start, stop, isCurrent, log, now = Date.now }) {
    for (const [name, v] of [["maxRunning", maxRunning], ["idleMs", idleMs]]) {
      if (!Number.isInteger(v) || v < 0) throw new Error(`${name} must be an integer >= 0 (0 = no limit), got ${v}`);
    }
    Object.assign(this, { maxRunning, idleMs, startFn: start, stopFn: stop, isCurrent, log, now });
    this.entries = new Map(); // key → {key, state, runtime, active, pending, removals, lastUsed, chain}
    this.waiters = []; // starts waiting for room, oldest first: {e, since, admit, refuse}
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
      e = { key, state: "stopped", runtime: null, active: 0, pending: 0, removals: 0, lastUsed: 0, chain: Promise.resolve() };
      this.entries.set(key, e);
    }
    return e;
  }

  /** Entries in one of the given states; alive (starting, running or stopping) is what the bound counts. */
  #count(...states) {
    let n = 0;
    for (const e of this.entries.values()) if (states.includes(e.state)) n++;
    return n;
  }

  #hasRoom() {
    return this.maxRunning === 0 || this.#count("starting", "running", "stopping") < this.maxRunning;
  }

  /** One operation per key at a time; a key with queued operations is never picked for stopping. */
  #serial(e, fn) {
    e.pending++;
    const next = e.chain.then(fn, fn);
    e.chain = next.catch(() => {});
    return next.finally(() => {
      e.pending--;
      this.#dispatch();
    });
  }

  /**
   * Hand room to the waiting starts, oldest first, and evict idle runtimes (least recently used
   * first) for those still without room. Called whenever room may have appeared or a runtime may
   * have become idle; synchronous, so nothing can lease a runtime between its release and its
   * eviction for a waiter.
   */
  #dispatch() {
    while (this.waiters.length && this.#hasRoom()) {
      const waiter = this.waiters.shift();
      this.#admit(waiter.e);
      waiter.admit();
    }
    let freeing = this.#count("stopping"); // each stop under way becomes room for one waiter
    while (this.waiters.length > freeing) {
      const victim = this.#victim();
      if (!victim) break;
      this.#stopIdle(victim, "evicted").catch((err) => this.log(`evicting runtime ${victim.key} failed: ${err.message}`));
      freeing++;
    }
  }

  #idle(e) {
    return e.state === "running" && e.active === 0 && e.pending === 0;
  }

  /** The least recently used idle runtime, or null. */
  #victim() {
    let best = null;
    for (const e of this.entries.values()) if (this.#idle(e) && (!best || e.lastUsed < best.lastUsed)) best = e;
    return best;
  }

  /** `e` takes room under the bound. */
  #admit(e) {
    e.state = "starting";
    this.counters.peak_running = Math.max(this.counters.peak_running, this.#count("starting", "running", "stopping"));
  }

  /** Take room for `e` now when there is room and nobody waits, else queue behind the earlier starts. */
  async #reserve(e) {
    if (this.closed) throw new Error("the stand-in is shutting down");
    if (!this.waiters.length && this.#hasRoom()) return this.#admit(e);
    await new Promise((admit, refuse) => {
      this.waiters.push({ e, since: this.now(), admit, refuse });
      this.#dispatch(); // an idle runtime may be evicted for it right away
    });
    if (this.closed) {
      e.state = "stopped"; // admitted just before close(): start nothing more
      throw new Error("the stand-in is shutting down");
    }
  }

  /** Make `e` run its current runtime: start it when stopped, replace it when outdated. */
  async #ensure(e) {
    if (this.closed) throw new Error("the stand-in is shutting down");
    if (e.state === "running" && this.isCurrent(e.key, e.runtime)) return e.runtime;
    if (e.state === "running") {
      // Redeploy: start the new one first (a failure leaves the old one serving), then swap.
      const runtime = await this.#started(e.key);
      const old = e.runtime;
      Object.assign(e, { runtime, lastUsed: this.now() });
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
    Object.assign(e, { state: "running", lastUsed: this.now() });
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
    return this.#serial(e, () => this.#dispose(e, reason));
  }

  /** Dispose of `e`'s runtime now, if it has one; runs as `e`'s operation. */
  async #dispose(e, reason) {
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
  }

  #sweep() {
    const now = this.now();
    for (const e of this.entries.values()) {
      if (this.#idle(e) && now - e.lastUsed >= this.idleMs) this.#stopIdle(e, "idle").catch((err) => this.log(`stopping idle runtime ${e.key} failed: ${err.message}`));
    }
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
    for (;;) {
      const e = this.#entry(key);
      if (e.state === "running" && e.removals === 0 && this.isCurrent(key, e.runtime)) return this.#take(e);
      // Taken inside the start's own step: when that step ends, the runtime is already in use.
      // A removal asked for meanwhile (queued behind this step) gets the runtime instead: this
      // request then asks again, behind the removal.
      const lease = await this.#serial(e, async () => {
        if (e.removals > 0) return null;
        await this.#ensure(e);
        return e.removals > 0 ? null : this.#take(e);
      });
      if (lease) return lease;
    }
  }

  /** One lease of `e`'s running runtime. */
  #take(e) {
    e.active++;
    e.lastUsed = this.now();
    let released = false;
    const release = () => {
      if (released) return;
      released = true;
      e.active--;
      e.lastUsed = this.now();
      if (e.active === 0) this.#dispatch();
    };
    return { runtime: e.runtime, release };
  }

  running(key) {
    return this.entries.get(key)?.state === "running";
  }

  /** Stop the key's runtime, if any, and forget the key (the script was deleted, or shutdown). */
  async remove(key) {
    const e = this.entries.get(key);
    if (!e) return;
    e.removals++; // at once, not when the stop gets its turn: lease() no longer hands the runtime out
    await this.#serial(e, async () => {
      try {
        await this.#dispose(e, "removed");
      } finally {
        e.removals--;
      }
    });
    if (e.pending === 0 && e.state === "stopped") this.entries.delete(key);
  }

  stats() {
    const states = { starting: 0, running: 0, stopping: 0 };
    for (const e of this.entries.values()) if (e.state in states) states[e.state]++;
    const oldest_wait_ms = this.waiters.length ? this.now() - this.waiters[0].since : 0;
    return { ...states, max_running: this.maxRunning || null, idle_stop_ms: this.idleMs || null, waiting: this.waiters.length, oldest_wait_ms, ...this.counters };
  }

  async close() {
    this.closed = true;
    clearInterval(this.sweeper);
    for (const waiter of this.waiters.splice(0)) waiter.refuse(new Error("the stand-in is shutting down"));
    await Promise.all([...this.entries.keys()].map((k) => this.remove(k)));
  }
}

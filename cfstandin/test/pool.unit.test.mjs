// Unit tier: the runtime pool with runtimes made by the test (no workerd): one start per key however
// many first requests arrive, the bound with least-recently-used eviction that never stops a runtime
// in use, waiting starts served in arrival order and not starved by runtimes busy in bursts,
// replacement after a redeploy, the idle sweep, removal that never hands out the runtime it stops,
// and the counters /__standin reports.
import assert from "node:assert/strict";
import { once } from "node:events";
import http from "node:http";
import { describe, it } from "node:test";
import { setImmediate as nextTurn, setTimeout as sleep } from "node:timers/promises";
import { RuntimePool } from "../src/runtime/pool.mjs";
import { releaseOnClose } from "../src/runtime/proxy.mjs";

/** A pool whose runtimes are {key, generation} objects; `events` lists starts and stops in order. */
function pool({ maxRunning = 0, idleMs = 0, failStart = () => false, startDelayMs = 0, onStart = () => {}, now } = {}) {
  const events = [];
  const generation = new Map(); // key → what the key should run now (a redeploy bumps it)
  const p = new RuntimePool({
    maxRunning,
    idleMs,
    start: async (key) => {
      await onStart(key);
      await sleep(startDelayMs);
      if (failStart(key)) throw new Error(`${key} does not start`);
      events.push(`start ${key}`);
      return { key, generation: generation.get(key) ?? 0 };
    },
    stop: async (key, runtime, reason) => {
      events.push(`stop ${key} ${reason}`);
    },
    isCurrent: (key, runtime) => runtime.generation === (generation.get(key) ?? 0),
    log: () => {},
    now,
  });
  return { p, events, redeploy: (key) => generation.set(key, (generation.get(key) ?? 0) + 1) };
}

describe("the runtime pool", () => {
  it("concurrent first requests of a key share one start", async () => {
    const { p, events } = pool({ startDelayMs: 20 });
    const leases = await Promise.all(Array.from({ length: 10 }, () => p.lease("a")));
    assert.deepEqual(events, ["start a"]);
    assert.ok(leases.every((l) => l.runtime === leases[0].runtime));
    leases.forEach((l) => l.release());
    await p.close();
  });

  it("a full pool evicts the least recently used idle runtime", async () => {
    const { p, events } = pool({ maxRunning: 2 });
    (await p.lease("a")).release();
    await sleep(5);
    (await p.lease("b")).release();
    (await p.lease("c")).release();
    assert.deepEqual(events, ["start a", "start b", "stop a evicted", "start c"]);
    assert.equal(p.running("a"), false);
    assert.equal(p.stats().stopped_evicted, 1);
    assert.equal(p.stats().peak_running, 2);
    await p.close();
  });

  it("a runtime in use is never evicted: a start waits until one is released", async () => {
    const { p, events } = pool({ maxRunning: 1 });
    const a = await p.lease("a");
    let started = false;
    const b = p.lease("b").then((l) => {
      started = true;
      return l;
    });
    await sleep(30);
    assert.equal(started, false, "b waits while a serves a request");
    assert.equal(p.stats().waiting, 1);
    a.release();
    a.release(); // a second release does nothing
    (await b).release();
    assert.deepEqual(events, ["start a", "stop a evicted", "start b"]);
    await p.close();
  });

  it("waiting starts get room in arrival order", async () => {
    // A start budget ends a pool that keeps starting and evicting without serving anyone.
    const starts = () => events.filter((x) => x.startsWith("start")).length;
    const { p, events } = pool({ maxRunning: 1, failStart: () => starts() >= 8 });
    const a = await p.lease("a");
    const order = [];
    // each one, once started, serves one request and frees the room for the next
    const later = ["b", "c", "d"].map((key) => p.lease(key).then((l) => (order.push(key), l.release())));
    await nextTurn();
    assert.equal(p.stats().waiting, 3);
    a.release();
    await Promise.allSettled(later);
    assert.deepEqual(order, ["b", "c", "d"]);
    assert.deepEqual(events, ["start a", "stop a evicted", "start b", "stop b evicted", "start c", "stop c evicted", "start d"]);
    await p.close();
  });

  it("a waiting start is not starved by runtimes leased again as soon as they are released", async () => {
    // Two keys busy in bursts fill the pool: each client holds its runtime for one event-loop turn,
    // releases it and leases it again at once, as a poller does. The start of "c" must get the
    // first runtime released. Counted in release cycles, not time; the loops stop after maxCycles
    // so a starving pool ends the test with a failed assertion instead of hanging.
    let cycles = 0;
    let cycleOfStartC = null;
    const { p, events } = pool({ maxRunning: 2, onStart: (key) => key === "c" && (cycleOfStartC = cycles) });
    const maxCycles = 50;
    let served = false;
    const burstyClient = async (key) => {
      while (!served && cycles < maxCycles) {
        const lease = await p.lease(key);
        await nextTurn(); // serving a request
        lease.release();
        cycles++;
      }
    };
    const clients = [burstyClient("a"), burstyClient("b")];
    while (cycles === 0) await nextTurn(); // both started (in the clients' order) and serving
    assert.deepEqual(events, ["start a", "start b"]);
    const cyclesBeforeC = cycles;
    const c = p.lease("c").then((lease) => {
      served = true;
      lease.release();
    });
    c.catch(() => {}); // a starved start is refused by close() below
    await Promise.all(clients);
    await p.close();
    assert.ok(served, `c still waited after ${cycles - cyclesBeforeC} release cycles`);
    assert.equal(cycleOfStartC - cyclesBeforeC, 1, "c starts in the room of the first runtime released after it asked");
  });

  it("reports how long the oldest start has waited", async () => {
    let t = 1_000;
    const { p } = pool({ maxRunning: 1, now: () => t });
    const a = await p.lease("a");
    assert.equal(p.stats().oldest_wait_ms, 0);
    const b = p.lease("b");
    await nextTurn();
    t += 250;
    const c = p.lease("c");
    await nextTurn();
    t += 500;
    assert.deepEqual([p.stats().waiting, p.stats().oldest_wait_ms], [2, 750]);
    a.release();
    (await b).release();
    (await c).release();
    assert.deepEqual([p.stats().waiting, p.stats().oldest_wait_ms], [0, 0]);
    await p.close();
  });

  it("a redeployed key starts its new runtime before the old one stops", async () => {
    const { p, events, redeploy } = pool();
    const first = await p.lease("a");
    first.release();
    redeploy("a");
    const second = await p.lease("a");
    assert.equal(second.runtime.generation, 1);
    assert.deepEqual(events, ["start a", "start a", "stop a replaced"]);
    second.release();
    await p.close();
  });

  it("a start that fails leaves the key stopped and is counted", async () => {
    let failing = true;
    const { p } = pool({ failStart: () => failing });
    await assert.rejects(p.lease("a"), /a does not start/);
    assert.equal(p.running("a"), false);
    assert.equal(p.stats().start_failures, 1);
    failing = false;
    (await p.lease("a")).release();
    assert.equal(p.running("a"), true);
    await p.close();
  });

  it("idle runtimes stop after idleMs, leased ones do not", async () => {
    const { p, events } = pool({ idleMs: 40 });
    (await p.lease("idle")).release();
    const busy = await p.lease("busy");
    await sleep(200);
    assert.ok(events.includes("stop idle idle"));
    assert.equal(p.running("busy"), true);
    busy.release();
    await p.close();
  });

  it("remove and close stop what runs and refuse new starts", async () => {
    const { p, events } = pool();
    (await p.lease("a")).release();
    (await p.lease("b")).release();
    await p.remove("a");
    assert.deepEqual(events.slice(2), ["stop a removed"]);
    await p.close();
    assert.deepEqual(events.slice(3), ["stop b removed"]);
    await assert.rejects(p.lease("c"), /shutting down/);
  });

  it("a runtime being removed is not leased: a request arriving meanwhile gets a fresh start", async () => {
    const { p, events } = pool();
    const first = await p.lease("a");
    first.release();
    // Same turn, so nothing of the removal has run yet when the request arrives.
    const removal = p.remove("a");
    const late = await p.lease("a");
    await removal;
    assert.notEqual(late.runtime, first.runtime, "the request was handed the runtime being removed");
    assert.deepEqual(events, ["start a", "stop a removed", "start a"]);
    assert.equal(p.running("a"), true);
    late.release();
    await p.close();
  });

  it("a request queued before a removal does not get the runtime the removal stops", async () => {
    // The request's start is under way when the removal is asked for; the runtime it started is
    // disposed by the removal, so the request is served by a start queued behind the removal.
    let startBegun;
    const begun = new Promise((resolve) => (startBegun = resolve));
    let finishStart;
    const gate = new Promise((resolve) => (finishStart = resolve));
    let gated = true;
    const { p, events } = pool({ onStart: () => gated && ((gated = false), startBegun(), gate) });
    const early = p.lease("a");
    await begun;
    const removal = p.remove("a");
    finishStart();
    const lease = await early;
    await removal;
    assert.deepEqual(events, ["start a", "stop a removed", "start a"]);
    assert.equal(p.running("a"), true, "the request's runtime was disposed under it");
    lease.release();
    await p.close();
  });

  it("the fresh start after a removal queues behind starts that waited before it", async () => {
    const { p, events } = pool({ maxRunning: 1 });
    const inFlight = await p.lease("a");
    const b = p.lease("b");
    await nextTurn();
    assert.equal(p.stats().waiting, 1, "b waits for the only slot");
    const removal = p.remove("a");
    const late = p.lease("a");
    (await b).release();
    const again = await late;
    await removal;
    assert.notEqual(again.runtime, inFlight.runtime);
    assert.deepEqual(events, ["start a", "stop a removed", "start b", "stop b evicted", "start a"]);
    again.release();
    inFlight.release();
    await p.close();
  });

  it("limits are whole numbers, 0 meaning none", () => {
    for (const bad of [-1, 1.5, "2"]) {
      assert.throws(() => new RuntimePool({ maxRunning: bad, idleMs: 0, start: () => {}, stop: () => {}, isCurrent: () => true, log: () => {} }), /maxRunning must be an integer >= 0/);
    }
  });
});

describe("a request served from the pool", () => {
  it("whose client gave up while its runtime started does not keep the runtime", async () => {
    // The stand-in leases a runtime for a request and releases it when the response closes. A
    // client that gives up while the start runs has closed the response before the lease exists.
    let startBegun;
    const begun = new Promise((resolve) => (startBegun = resolve));
    let finishStart;
    const gate = new Promise((resolve) => (finishStart = resolve));
    const { p, events } = pool({ maxRunning: 1, onStart: (key) => key === "slow" && (startBegun(), gate) });
    let served;
    let answered = null;
    let clientGone;
    const closed = new Promise((resolve) => (clientGone = resolve));
    const server = http.createServer((req, res) => {
      res.once("close", clientGone); // the test's own look: the server has seen the client leave
      served = (async () => {
        const lease = await p.lease("slow");
        answered = releaseOnClose(res, lease.release);
        if (answered) res.end("slow");
      })();
    });
    server.listen(0, "127.0.0.1");
    await once(server, "listening");
    const request = http.get({ host: "127.0.0.1", port: server.address().port });
    request.on("error", () => {});
    await begun;
    request.destroy();
    await closed;
    finishStart();
    await served;
    server.close();
    const other = p.lease("other"); // needs the only slot
    await nextTurn();
    const slowRunning = p.running("slow");
    if (!slowRunning) (await other).release();
    await p.close();
    assert.equal(slowRunning, false, "the abandoned request still holds the runtime");
    assert.equal(answered, false, "nobody waits for the answer");
    assert.deepEqual(events, ["start slow", "stop slow evicted", "start other", "stop other removed"]);
  });
});

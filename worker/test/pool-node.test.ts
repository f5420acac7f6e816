// The isolate pool (src/runtime/pool.ts) and Python's serving loop (src/runtime/serving.ts,
// pylib/pymode/_serve.py) on the node host: requests that await the host interleave in one interpreter,
// synchronous handlers get more instances, overload is answered 503 + Retry-After without losing or
// repeating a request, and instances are replaced after a trap, N requests or memory growth (issue #15).
import { cpSync, mkdtempSync, writeFileSync } from "node:fs";
import { createServer, IncomingMessage, Server, ServerResponse } from "node:http";
import { tmpdir } from "node:os";
import { join, resolve } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { loadBundle, LoadedBundle, memoryEnv, NodeHost } from "../src/node/host";
import { NODE_HOST_DRIVER } from "./helpers/driver";
import { bundleTestApp, PYAPP } from "./helpers/scenarios";

const POOL_APP = resolve(__dirname, "fixtures", "pool-app");

/** A loopback upstream that holds every request until the test opens the gate, counting them. */
class GatedUpstream {
  private server: Server | undefined;
  url = "";
  arrived = 0;
  private held: ServerResponse[] = [];
  private open = false;

  async start(): Promise<void> {
    this.server = createServer((req: IncomingMessage, res: ServerResponse) => {
      this.arrived++;
      if (this.open) res.end(`answer ${this.arrived}`);
      else this.held.push(res);
    });
    await new Promise<void>((r) => this.server!.listen(0, "127.0.0.1", () => r()));
    this.url = `http://127.0.0.1:${(this.server.address() as any).port}/`;
  }

  /** Resolves once `n` requests wait at the gate (all of them in flight at the same time). */
  async waitForHeld(n: number): Promise<void> {
    const deadline = Date.now() + 20_000;
    while (this.held.length < n) {
      if (Date.now() > deadline) throw new Error(`only ${this.held.length} of ${n} requests reached the upstream together`);
      await new Promise((r) => setTimeout(r, 20));
    }
  }

  release(): void {
    this.open = true;
    for (const res of this.held.splice(0)) res.end("released");
  }

  close(): void {
    for (const res of this.held.splice(0)) res.destroy();
    this.server?.close();
  }
}

let poolBundle: LoadedBundle | undefined;
let syncBundle: LoadedBundle | undefined;
let setupError: unknown;

beforeAll(async () => {
  try {
    poolBundle = await loadBundle(await bundleTestApp({ driver: NODE_HOST_DRIVER, project: POOL_APP }));
    syncBundle = await loadBundle(await bundleTestApp({ driver: NODE_HOST_DRIVER, project: PYAPP }));
  } catch (e) {
    setupError = e; // every test then fails with it: a missing runtime must not look like a skip
  }
});

async function hostFor(bundle: LoadedBundle | undefined, vars: Record<string, string> = {}) {
  if (!bundle) throw setupError;
  const logs: string[] = [];
  const nh = new NodeHost({ bundle, env: await memoryEnv(vars), logger: (r) => logs.push(`[${r.source} ${r.level}] ${r.message}`) });
  const get = (path: string) => nh.fetch(new Request(new URL(path, "https://pymode.test")));
  return { nh, get, logs, pool: nh.pool! };
}

describe(`the isolate pool on the node host (${NODE_HOST_DRIVER})`, () => {
  const upstream = new GatedUpstream();
  beforeAll(() => upstream.start());
  afterAll(() => upstream.close());

  it("a coroutine handler serves many requests at once in one interpreter, interleaved at their awaits", async () => {
    const { get, pool } = await hostFor(poolBundle);
    const n = 24;
    const answers = Array.from({ length: n }, () => get(`/upstream?url=${encodeURIComponent(upstream.url)}`));
    await upstream.waitForHeld(n); // all 24 are waiting on the host together
    upstream.release();
    const bodies = await Promise.all(answers.map(async (r) => [(await r).status, await (await r).json()] as const));
    expect(bodies.every(([status, b]) => status === 200 && b.upstream === "released")).toBe(true);
    expect(pool.stats.instancesCreated).toBe(1);
    expect(pool.stats.peakInFlight).toBe(n);
    expect((await (await get("/served")).json()).served).toBe(n + 1); // one interpreter saw them all
  });

  it("awaited KV calls of concurrent requests each get their own answer", async () => {
    const { get } = await hostFor(poolBundle);
    const rs = await Promise.all(Array.from({ length: 12 }, (_, i) => get(`/kv?key=k${i}&value=v${i}`)));
    expect(await Promise.all(rs.map((r) => r.text()))).toEqual(Array.from({ length: 12 }, (_, i) => `v${i}`));
  });

  it("a synchronous handler gets one request per instance, and more instances up to the limit", async () => {
    const gate = new GatedUpstream();
    await gate.start();
    try {
      const { get, pool } = await hostFor(syncBundle, { PYMODE_POOL_MAX_INSTANCES: "3" });
      const url = encodeURIComponent(gate.url);
      const answers = Array.from({ length: 5 }, () => get(`/bad/slow-http?url=${url}`));
      await gate.waitForHeld(3); // three instances, each blocked in its one request
      expect(pool.size).toBe(3);
      gate.release();
      expect((await Promise.all(answers)).map((r) => r.status)).toEqual([200, 200, 200, 200, 200]);
      expect(gate.arrived).toBe(5);
      expect(pool.stats.peakInstances).toBe(3);
      expect(pool.stats.peakInFlight).toBe(3);
    } finally {
      gate.close();
    }
  });

  it("overload: past the instances and the queue, 503 + Retry-After at once; no request lost or repeated", async () => {
    const gate = new GatedUpstream();
    await gate.start();
    try {
      const { get, pool } = await hostFor(poolBundle, { PYMODE_POOL_MAX_INSTANCES: "1", PYMODE_POOL_CONCURRENCY: "4", PYMODE_MAX_QUEUE: "3" });
      const first = get("/served"); // the instance starts and learns that the handler is a coroutine
      expect((await first).status).toBe(200);
      const answers = Array.from({ length: 12 }, () => get(`/upstream?url=${encodeURIComponent(gate.url)}`));
      await gate.waitForHeld(4);
      const settled: Response[] = [];
      // The 5 turned away are answered while the others still wait.
      const refusedEarly = await Promise.all(answers.map((p) => Promise.race([p, new Promise<undefined>((r) => setTimeout(() => r(undefined), 500))])));
      const early = refusedEarly.filter((r): r is Response => r !== undefined);
      expect(early.map((r) => r.status)).toEqual([503, 503, 503, 503, 503]);
      expect(early.every((r) => r.headers.get("retry-after") === "1")).toBe(true);
      gate.release();
      settled.push(...(await Promise.all(answers)));
      const ok = settled.filter((r) => r.status === 200);
      expect(ok.length).toBe(7); // 4 in flight + 3 queued
      expect(gate.arrived).toBe(7); // each accepted request reached the upstream exactly once
      expect(pool.stats.rejected).toBe(5);
    } finally {
      gate.close();
    }
  });

  it("a request past its time budget is answered 503 and cancelled; the others on its instance carry on", async () => {
    const { get, pool } = await hostFor(poolBundle, { PYMODE_REQUEST_TIMEOUT_MS: "1000" });
    const hang = get("/hang");
    const kv = await get("/kv?key=a&value=b");
    expect(await kv.text()).toBe("b");
    const r = await hang;
    expect(r.status).toBe(503);
    expect(r.headers.get("retry-after")).toBe("1");
    expect((await r.json()).error).toBe("request timed out");
    expect((await (await get("/served")).json()).served).toBe(3); // the same interpreter, not a fresh one
    expect(pool.stats.instancesCreated).toBe(1);
  });

  it("a trap fails every request in flight on that instance with 503; the next request gets a fresh one", async () => {
    const gate = new GatedUpstream();
    await gate.start();
    try {
      const { get, pool } = await hostFor(poolBundle);
      expect((await get("/served")).status).toBe(200);
      const waiting = Array.from({ length: 3 }, () => get(`/upstream?url=${encodeURIComponent(gate.url)}`));
      await gate.waitForHeld(3);
      const abort = await get("/abort");
      expect(abort.status).toBe(503);
      expect((await abort.json()).detail).toMatch(/trap|unreachable/);
      for (const r of await Promise.all(waiting)) expect(r.status).toBe(503);
      expect((await (await get("/served")).json()).served).toBe(1);
      expect(pool.stats.traps).toBe(1);
      expect(pool.stats.instancesCreated).toBe(2);
    } finally {
      gate.close();
    }
  });

  it("an instance is replaced after PYMODE_POOL_MAX_REQUESTS requests (1: a fresh interpreter for each)", async () => {
    const { get } = await hostFor(poolBundle, { PYMODE_POOL_MAX_REQUESTS: "3" });
    const served = [];
    for (let i = 0; i < 7; i++) served.push((await (await get("/served")).json()).served);
    expect(served).toEqual([1, 2, 3, 1, 2, 3, 1]);
    const isolated = await hostFor(poolBundle, { PYMODE_POOL_MAX_REQUESTS: "1" });
    for (let i = 0; i < 3; i++) expect((await (await isolated.get("/served")).json()).served).toBe(1);
  });

  it("an instance whose memory grew past PYMODE_POOL_INSTANCE_MEMORY_MB is replaced after its request", async () => {
    const { get, pool } = await hostFor(poolBundle, { PYMODE_POOL_INSTANCE_MEMORY_MB: "40" });
    expect((await (await get("/served")).json()).served).toBe(1);
    expect((await get("/grow?mb=30")).status).toBe(200);
    expect(pool.stats.instancesRetired).toBe(1);
    expect((await (await get("/served")).json()).served).toBe(1);
  });

  it("[tool.pymode] routing = \"single\" keeps a project in one Durable Object, one request at a time; a bad value fails the bundle", async () => {
    const project = mkdtempSync(join(tmpdir(), "pymode-routing-"));
    cpSync(POOL_APP, project, { recursive: true });
    writeFileSync(join(project, "pyproject.toml"), '[project]\nname = "serial"\n\n[tool.pymode]\nrouting = "single"\n');
    const bundle = await loadBundle(await bundleTestApp({ driver: NODE_HOST_DRIVER, project }));
    expect(bundle.app.routing).toBe("single");
    const { get, nh } = await hostFor(bundle);
    expect(nh.pool).toBeUndefined();
    const gate = new GatedUpstream();
    await gate.start();
    try {
      const answers = [0, 1].map(() => get(`/upstream?url=${encodeURIComponent(gate.url)}`));
      await gate.waitForHeld(1);
      await new Promise((r) => setTimeout(r, 300));
      expect(gate.arrived).toBe(1); // the second waits behind the first
      gate.release();
      expect((await Promise.all(answers)).map((r) => r.status)).toEqual([200, 200]);
    } finally {
      gate.close();
    }
    writeFileSync(join(project, "pyproject.toml"), '[tool.pymode]\nrouting = "everywhere"\n');
    await expect(bundleTestApp({ driver: NODE_HOST_DRIVER, project })).rejects.toThrow(/routing must be one of isolate, single, sharded, per-request, got "everywhere"/);
  });

  it("Durable Object storage is refused in the isolate with the routing that provides it", async () => {
    const { get } = await hostFor(syncBundle);
    const r = await get("/bad/do-storage");
    expect(await r.text()).toMatch(/not available to Python in the Worker isolate.*spec\.routing\.mode: single/);
  });
});

// The python.wasm + pylib scenarios, run on every host (node host and workerd).
import { execFileSync } from "node:child_process";
import { cpSync, existsSync, mkdirSync, mkdtempSync } from "node:fs";
import { createServer as createHttpServer, Server } from "node:http";
import { createServer as createTcpServer, Server as TcpServer } from "node:net";
import { tmpdir } from "node:os";
import { dirname, join, relative, resolve, sep } from "node:path";
import { fileURLToPath } from "node:url";
import { afterAll, beforeAll, expect, it } from "vitest";
import { bundle, defaultRuntimeDir, DRIVER_WASM, isPylibNativeOnly, pylibPackages, writeSplitStdlib } from "../../scripts/bundle.mjs";

const here = dirname(fileURLToPath(import.meta.url));
export const PYAPP = resolve(here, "..", "fixtures", "pyapp");
/** A worker written for Cloudflare's Python Workers API (the `workers` module), run unmodified. */
export const CLOUDFLARE_APP = resolve(here, "..", "fixtures", "cloudflare-app");
export const PYLIB = resolve(here, "..", "..", "..", "pylib");

/** Fails loudly (never skips) when the runtime has not been built. */
export function requireRuntime(): string {
  const dir = defaultRuntimeDir();
  for (const f of ["python.wasm", "python313.zip"]) {
    if (!existsSync(join(dir, f))) {
      throw new Error(
        `python.wasm runtime missing: ${join(dir, f)} does not exist. Build it first with ` +
          "builder-image/runtime/build.sh (make test-runtime), or point PYMODE_RUNTIME_DIR at a runtime dir.",
      );
    }
  }
  if (!existsSync(join(PYLIB, "pymode", "_handler.py"))) throw new Error(`pylib missing: ${PYLIB}/pymode/_handler.py`);
  return dir;
}

/** Bundle the test project (tests run the exact artefact an upload would carry). */
export async function bundleTestApp(opts: { wasm?: string; driver?: string; project?: string; stdlibAssets?: boolean } = {}): Promise<string> {
  const runtime = requireRuntime();
  const out = mkdtempSync(join(tmpdir(), "pymode-bundle-"));
  await bundle({ runtime, project: opts.project ?? PYAPP, pylib: PYLIB, out, wasm: opts.wasm, driver: opts.driver, stdlibAssets: opts.stdlibAssets });
  return out;
}

/**
 * Bundle the test project with a Wizer snapshot of its loaded entry, as the builder makes one (snapshot.sh over the
 * driver's python.wasm, the project's site being pylib's edge packages): the default for deployed workers.
 */
export async function bundleSnapshotTestApp(opts: { driver: string; project: string; stdlibAssets?: boolean }): Promise<string> {
  return bundleTestApp({ wasm: snapshotTestApp(opts), driver: opts.driver, project: opts.project, stdlibAssets: opts.stdlibAssets });
}

/** The Wizer snapshot bundleSnapshotTestApp bundles: with the split stdlib an assets bundle ships, or the whole zip. */
export function snapshotTestApp(opts: { driver: string; project: string; stdlibAssets?: boolean }): string {
  const runtime = requireRuntime();
  const work = mkdtempSync(join(tmpdir(), "pymode-snapshot-"));
  // an assets bundle's snapshot is made with the zip it ships and the groups beside it, as the builder makes it
  const stdlib = opts.stdlibAssets ? writeSplitStdlib(runtime, "init", join(work, "stdlib")).zip : join(runtime, "python313.zip");
  const site = join(work, "site");
  mkdirSync(site);
  // pylib's edge packages, without the native-only directories, as the builder puts them into a snapshot's site
  const edge = (src: string) => !isPylibNativeOnly(relative(PYLIB, src).split(sep).join("/") + "/");
  for (const p of pylibPackages(PYLIB)) cpSync(join(PYLIB, p), join(site, p), { recursive: true, filter: edge });
  const wasm = join(work, "snapshot.wasm");
  execFileSync("bash", [join(PYLIB, "..", "builder-image", "runtime", "snapshot.sh"), "--wasm",
    join(runtime, (DRIVER_WASM as Record<string, string>)[opts.driver]), "--stdlib", stdlib,
    "--dynload", join(runtime, "lib-dynload"), "--site", site, "--app", opts.project, "-o", wasm], { stdio: ["ignore", "ignore", "pipe"] });
  return wasm;
}

export interface Host {
  fetch(path: string, init?: RequestInit): Promise<Response>;
  kvPut(key: string, value: string): Promise<void>;
  logs(): string[];
}

export function loopbackServers() {
  const s = { http: undefined as Server | undefined, tcp: undefined as TcpServer | undefined, httpUrl: "", tcpPort: 0 };
  beforeAll(async () => {
    s.http = createHttpServer((req, res) => {
      const chunks: Buffer[] = [];
      req.on("data", (c) => chunks.push(c));
      req.on("end", () => {
        // /slow?ms=N answers after N ms: a host call that keeps Python waiting.
        const slow = /^\/slow\?ms=(\d+)$/.exec(req.url ?? "");
        if (slow) {
          const t = setTimeout(() => res.end("slow"), Number(slow[1]));
          res.on("close", () => clearTimeout(t));
          return;
        }
        res.writeHead(200, { "content-type": "text/plain" });
        res.end(`${req.method} ${req.url} from=${req.headers["x-from"]} body=${Buffer.concat(chunks).toString()}`);
      });
    });
    await new Promise<void>((r) => s.http!.listen(0, "127.0.0.1", () => r()));
    s.httpUrl = `http://127.0.0.1:${(s.http.address() as any).port}`;
    s.tcp = createTcpServer((sock) => sock.on("data", (d) => sock.write(Buffer.concat([Buffer.from("echo:"), d]))));
    await new Promise<void>((r) => s.tcp!.listen(0, "127.0.0.1", () => r()));
    s.tcpPort = (s.tcp.address() as any).port;
  });
  afterAll(() => {
    s.http?.close();
    s.tcp?.close();
  });
  return s;
}

export function defineScenarios(host: () => Host) {
  const servers = loopbackServers();

  it("hello", async () => {
    const r = await host().fetch("/");
    expect(r.status).toBe(200);
    expect(await r.text()).toBe("Hello from PyMode!");
  });

  it("/greet?name= and sibling/root imports", async () => {
    expect(await (await host().fetch("/greet?name=Edge")).text()).toBe("Hello, Edge!");
    expect(await (await host().fetch("/greet")).text()).toBe("Hello, World!");
    expect(await (await host().fetch("/imports")).json()).toEqual({ shout: "HI!", double: 42 });
  });

  it("asyncio.run() works in a handler (MiniLoop as asyncio's loop on python.wasm)", async () => {
    const r = await host().fetch("/asyncio-run");
    expect(r.status).toBe(200);
    expect(await r.json()).toEqual({ run: ["a", "b"], again: ["a", "b"] });
  });

  it("the stdlib surface: CPython modules WASI lacks import and say why on use; socket and threading complete", async () => {
    const r = await host().fetch("/stdlib-surface");
    expect(r.status).toBe(200);
    const s = await r.json();
    expect(s.pwd).toMatch(/^KeyError: .*no user database/);
    expect(s.grp).toEqual([]);
    expect(s.resource).toMatch(/^OSError: \[Errno \d+\] resource.getrlimit is not available on python.wasm/);
    expect(s.bz2).toMatch(/libbz2 is not built into python.wasm/);
    expect(s.ctypes).toMatch(/ctypes.CDLL is not available/);
    expect(s.sqlite3).toMatch(/bind a D1 database/);
    expect([s.cpus, s.hostname, s.ntoa, s.reuseaddr]).toEqual([1, "localhost", "127.0.0.1", true]);
    expect(s.thread).toEqual(["thread ran", false]);
    expect(s.ssl).toEqual([true, true, expect.stringMatching(/^OSError: \[Errno \d+\] ssl: a TLS connection \(wrap_bio\) is not available on python.wasm at the edge: python.wasm has no TLS of its own/)]);
    expect(host().logs().join("\n")).toContain("syslog reached the worker log");
  });

  it("DESIGN.md /api/data KV example", async () => {
    await host().kvPut("key", JSON.stringify({ hello: "world", n: [1, 2] }));
    const r = await host().fetch("/api/data");
    expect(r.status).toBe(200);
    expect(r.headers.get("content-type")).toMatch(/application\/json/);
    expect(await r.json()).toEqual({ hello: "world", n: [1, 2] });
  });

  it("queue: Python's send/send_batch reach Python's on_queue (json, text, bytes), which writes KV", async () => {
    const id = `q${Date.now()}`;
    expect((await host().fetch(`/queue/send?id=${id}`)).status).toBe(202);
    const keys = [`q:json:${id}`, `q:text:text-${id}`, `q:bytes:bytes-${id}`];
    const deadline = Date.now() + 15_000;
    const found: Record<string, string> = {};
    while (Object.keys(found).length < keys.length && Date.now() < deadline) {
      for (const k of keys) {
        if (found[k]) continue;
        const r = await host().fetch(`/kv/get?key=${encodeURIComponent(k)}`);
        if (r.status === 200) found[k] = await r.text();
      }
      if (Object.keys(found).length < keys.length) await new Promise((r) => setTimeout(r, 100));
    }
    expect(found).toEqual(Object.fromEntries(keys.map((k) => [k, "jobs:1"])));
  });

  it("service binding: env.OTHER.fetch reaches the other Worker", async () => {
    const r = await host().fetch("/service");
    expect(r.status).toBe(200);
    expect(await r.json()).toEqual({ status: 200, text: "other got POST /hello?x=1 python ping", via: "other" });
  });

  it("KV put from Python, then read back", async () => {
    expect((await host().fetch("/kv/put?key=key", { method: "POST", body: JSON.stringify([1, "two"]) })).status).toBe(201);
    expect(await (await host().fetch("/api/data")).json()).toEqual([1, "two"]);
  });

  it("R2 put/get of binary data", async () => {
    const data = new Uint8Array(200_000).map((_, i) => (i * 31 + 7) & 255);
    const put = await host().fetch("/r2/put?key=blobs/a.bin", { method: "POST", body: data });
    expect(put.status).toBe(200);
    expect((await put.json()).size).toBe(200_000);
    const got = new Uint8Array(await (await host().fetch("/r2/get?key=blobs/a.bin")).arrayBuffer());
    expect(got.byteLength).toBe(200_000);
    expect(Buffer.from(got).equals(Buffer.from(data))).toBe(true);
    expect((await host().fetch("/r2/get?key=none")).status).toBe(404);
  });

  it("D1 prepare/bind/all", async () => {
    const r = await host().fetch("/d1?min=4");
    expect(r.status).toBe(200);
    expect((await r.json()).rows).toEqual([{ name: "pear", qty: 5 }, { name: "plum", qty: 7 }]);
  });

  it("HTTP fetch to a loopback server", async () => {
    const r = await host().fetch(`/http?url=${encodeURIComponent(servers.httpUrl + "/up?x=1")}`);
    expect(r.status).toBe(200);
    expect(await r.json()).toEqual({ status: 200, text: "POST /up?x=1 from=python body=ping" });
  });

  it("TCP echo to a loopback server", async () => {
    const r = await host().fetch(`/tcp?port=${servers.tcpPort}`);
    expect(r.status).toBe(200);
    expect(await r.text()).toBe("echo:hello tcp");
  });

  it("request body and method reach Python", async () => {
    const r = await host().fetch("/echo", { method: "PUT", body: "abc" });
    expect(r.headers.get("x-method")).toBe("PUT");
    expect(await r.text()).toBe("abc");
  });

  it("handler exception → 500, traceback logged, not leaked", async () => {
    const r = await host().fetch("/error");
    expect(r.status).toBe(500);
    const body = await r.text();
    expect(body).not.toMatch(/secret-detail|Traceback/);
    await expect.poll(() => host().logs().join("\n"), { timeout: 5000 }).toMatch(/Traceback[\s\S]*ValueError: secret-detail-boom/);
  });

  it("a wasm trap (os.abort) → 503 with a reason; the next request gets a fresh instance", async () => {
    const before = await (await host().fetch("/counter")).json();
    expect(before.n).toBeGreaterThan(1);
    const r = await host().fetch("/abort");
    expect(r.status).toBe(503);
    expect(r.headers.get("retry-after")).toBe("1");
    expect((await r.json()).detail).toMatch(/trap|unreachable|exit/i);
    const after = await host().fetch("/counter");
    expect(after.status).toBe(200);
    expect((await after.json()).n).toBe(1);
  });

  it("proc_exit (os._exit) → 503 and recovery", async () => {
    const r = await host().fetch("/exit");
    expect(r.status).toBe(503);
    expect((await r.json()).detail).toMatch(/proc_exit\(3\)/);
    expect((await host().fetch("/")).status).toBe(200);
  });

  it("concurrent requests are all answered correctly", async () => {
    const names = Array.from({ length: 16 }, (_, i) => `n${i}`);
    const rs = await Promise.all(names.map((n, i) => (i % 4 === 0 ? host().fetch(`/tcp?port=${servers.tcpPort}`) : host().fetch(`/greet?name=${n}`))));
    const texts = await Promise.all(rs.map((r) => r.text()));
    names.forEach((n, i) => expect(texts[i]).toBe(i % 4 === 0 ? "echo:hello tcp" : `Hello, ${n}!`));
  });

  it("vars reach Python through PYMODE_BINDINGS", async () => {
    const r = await (await host().fetch("/env")).json();
    expect(r.greeting).toBe("hi there");
    expect(r.version).toMatch(/^3\.13\./);
  });

  it("413 on a request body over the limit", async () => {
    const r = await host().fetch("/echo", { method: "POST", body: new Uint8Array(300_000) });
    expect(r.status).toBe(413);
  });

  it("502 when the response body is over the limit", async () => {
    const r = await host().fetch("/big?n=600000");
    expect(r.status).toBe(502);
  });

  defineBadRequestScenarios(host, servers);
}

/** A request body streamed in chunks, with no content-length. */
function chunkedBody(total: number, chunk = 16_384): RequestInit {
  let sent = 0;
  const body = new ReadableStream<Uint8Array>({
    pull(c) {
      if (sent >= total) return c.close();
      const n = Math.min(chunk, total - sent);
      sent += n;
      c.enqueue(new Uint8Array(n).fill(97));
    },
  });
  return { method: "POST", body, duplex: "half" } as RequestInit;
}

async function counter(host: Host): Promise<number> {
  return (await (await host.fetch("/counter")).json()).n;
}

/** worker/README.md "Limits": each limit, hit on purpose (issue #14, deliverable 6). */
function defineBadRequestScenarios(host: () => Host, servers: ReturnType<typeof loopbackServers>) {
  it("limits: a chunked body (no content-length) over the limit → 413; under it → read whole", async () => {
    const over = await host().fetch("/echo", chunkedBody(300_000));
    expect(over.status).toBe(413);
    expect((await over.json()).error).toBe("request body too large");
    const under = await host().fetch("/echo", chunkedBody(200_000));
    expect(under.status).toBe(200);
    expect(under.headers.get("x-len")).toBe("200000");
  });

  it("limits: invalid JSON to request.json() is a catchable JSONDecodeError; uncaught → 500 naming it, instance kept", async () => {
    const n = await counter(host());
    const caught = await host().fetch("/bad/json", { method: "POST", body: "{nope" });
    expect(caught.status).toBe(400);
    expect(await caught.json()).toEqual({ caught: "JSONDecodeError", is_value_error: true });
    const uncaught = await host().fetch("/bad/json-uncaught", { method: "POST", body: "{nope" });
    expect(uncaught.status).toBe(500);
    expect(await uncaught.text()).toBe("Internal Server Error: uncaught JSONDecodeError");
    expect(await counter(host())).toBe(n + 3);
  });

  it("limits: unsupported return types → 500 naming the type, instance kept", async () => {
    const n = await counter(host());
    for (const [kind, type] of [["none", "NoneType"], ["int", "int"], ["set", "set"], ["gen", "generator"], ["object", "object"]]) {
      const r = await host().fetch(`/bad/return?type=${kind}`);
      expect(r.status).toBe(500);
      expect(await r.text()).toBe(`Internal Server Error: on_fetch returned ${type}; return a Response, str, bytes, dict or list`);
    }
    expect(await counter(host())).toBe(n + 6);
  });

  it("limits: memory is capped below the isolate's 128 MB → MemoryError, catchable; uncaught → 500; instance kept", async () => {
    const n = await counter(host());
    const small = await host().fetch("/bad/alloc?mib=32");
    expect(await small.text()).toBe(`allocated ${32 * 1024 * 1024}`);
    const big = await host().fetch("/bad/alloc?mib=200");
    expect(big.status).toBe(507);
    expect(await big.text()).toBe("caught MemoryError");
    const bomb = await host().fetch("/bad/bomb");
    expect(bomb.status).toBe(500);
    expect(await bomb.text()).toBe("Internal Server Error: uncaught MemoryError");
    expect(await counter(host())).toBe(n + 4);
  });

  it("limits: a handler looping on time.sleep → 503 + Retry-After at the time budget; the next request gets a fresh instance", async () => {
    expect(await counter(host())).toBeGreaterThan(1);
    const t0 = Date.now();
    const r = await host().fetch("/bad/sleep-loop");
    expect(r.status).toBe(503);
    expect(r.headers.get("retry-after")).toBe("1");
    const body = await r.json();
    expect(body.error).toBe("request timed out");
    expect(body.detail).toMatch(/time budget of 2000 ms/);
    expect(Date.now() - t0).toBeLessThan(10_000);
    expect(await counter(host())).toBe(1);
  });

  it("limits: a pure-CPU loop → 503 + Retry-After at the step budget, even when it swallows the exception; fresh instance", async () => {
    const bounded = await host().fetch("/bad/cpu-steps?n=100000");
    expect(`${bounded.status} ${await bounded.text()}`).toBe(`200 sum ${(100000 * 99999) / 2}`);
    for (const path of ["/bad/cpu-loop", "/bad/cpu-loop-swallowing"]) {
      expect(await counter(host())).toBeGreaterThan(1);
      const r = await host().fetch(path);
      expect(r.status).toBe(503);
      expect(r.headers.get("retry-after")).toBe("1");
      const body = await r.json();
      expect(body.error).toBe("request exceeded its CPU budget");
      expect(body.detail).toBe(`request exceeded its budget of ${TEST_VARS.PYMODE_MAX_PYTHON_STEPS} Python steps (PYMODE_MAX_PYTHON_STEPS)`);
      expect(await counter(host())).toBe(1);
    }
  });

  it("limits: a handler stuck awaiting a host call → 503 + Retry-After at the time budget, fresh instance", async () => {
    const t0 = Date.now();
    const r = await host().fetch(`/bad/slow-http?url=${encodeURIComponent(servers.httpUrl + "/slow?ms=60000")}`);
    expect(r.status).toBe(503);
    expect(r.headers.get("retry-after")).toBe("1");
    expect((await r.json()).error).toBe("request timed out");
    expect(Date.now() - t0).toBeLessThan(10_000);
    expect(await counter(host())).toBe(1);
  });

  it("limits: huge responses → 502 without copying them out; instance kept", async () => {
    const n = await counter(host());
    const r = await host().fetch("/big?n=20000000");
    expect(r.status).toBe(502);
    expect(await r.json()).toEqual({ error: "response body too large", detail: "limit 524288 bytes" });
    expect(await counter(host())).toBe(n + 2);
  });

  it("limits: 50 concurrent slow clients → each answered 200, or 503 + Retry-After past the queue bound", async () => {
    const url = encodeURIComponent(servers.httpUrl + "/slow?ms=40");
    const rs = await Promise.all(Array.from({ length: 50 }, () => host().fetch(`/bad/slow-http?url=${url}`)));
    const answers = await Promise.all(rs.map(async (r) => ({ status: r.status, retry: r.headers.get("retry-after"), body: await r.text() })));
    const ok = answers.filter((a) => a.status === 200);
    const refused = answers.filter((a) => a.status === 503);
    expect(ok.length + refused.length).toBe(50);
    ok.forEach((a) => expect(a.body).toBe("slow"));
    refused.forEach((a) => {
      expect(a.retry).toBe("1");
      expect(JSON.parse(a.body).error).toBe("too many concurrent requests");
    });
    expect(ok.length).toBeGreaterThanOrEqual(21);
    expect(refused.length).toBeGreaterThan(0);
  });
}

/**
 * Recursion through C (e.g. nested __getattr__) ends in RecursionError, not a native stack overflow.
 * workerd only: node 20's V8 spends so much native stack per optimised frame of CPython's eval loop
 * that even --stack-size=7000 runs out at ~200 nested levels (worker/README.md "Limits").
 */
export function defineRecursionScenario(hostFn: () => Host) {
  it("limits: unbounded recursion → RecursionError (Python and through C), never a trap; instance kept", async () => {
    const host = hostFn();
    const n = await counter(host);
    for (const path of ["/bad/recurse", "/bad/recurse-c"]) {
      const r = await host.fetch(path);
      expect(`${r.status} ${await r.text()}`).toMatch(/^200 caught RecursionError: maximum recursion depth exceeded/);
    }
    const nested = await host.fetch("/bad/nested?n=100000");
    expect(`${nested.status} ${await nested.text()}`).toBe("200 caught RecursionError");
    const uncaught = await host.fetch("/bad/recurse-uncaught");
    expect(uncaught.status).toBe(500);
    expect(await uncaught.text()).toBe("Internal Server Error: uncaught RecursionError");
    expect(await counter(host)).toBe(n + 5);
  });
}

/** The Worker behind the OTHER service binding in the scenarios (both hosts). */
export async function otherWorker(request: Request): Promise<Response> {
  const u = new URL(request.url);
  return new Response(`other got ${request.method} ${u.pathname}${u.search} ${request.headers.get("x-from")} ${await request.text()}`, {
    headers: { "x-served-by": "other" },
  });
}

export const TEST_VARS = {
  GREETING: "hi there",
  PYMODE_MAX_REQUEST_BYTES: "262144",
  PYMODE_MAX_RESPONSE_BYTES: "524288",
  PYMODE_REQUEST_TIMEOUT_MS: "2000",
  PYMODE_MAX_QUEUE: "20",
  PYMODE_MAX_PYTHON_STEPS: "20000000",
  // The scenarios observe one instance (a counter that survives or restarts): the pool may hold only one,
  // and keeps it however much memory a request grew it by. test/pool-node.test.ts covers the pool's own policy.
  PYMODE_POOL_MAX_INSTANCES: "1",
  PYMODE_POOL_INSTANCE_MEMORY_MB: "1024",
};

// docs/abi.md §3 operations of bindings/cloudflare.ts, on the node in-memory fakes and on
// workerd's own KV/R2/D1 (Miniflare proxies), so the fakes are checked against the real thing.
import { createServer as createHttpServer, Server } from "node:http";
import { createServer as createTcpServer, Server as TcpServer } from "node:net";
import { Miniflare } from "miniflare";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { CloudflareBindings } from "../src/bindings/cloudflare";
import { HostError, STATUS } from "../src/runtime/bindings";
import { MemoryD1, MemoryKV, MemoryQueue, MemoryR2, nodeConnect } from "../src/node/fakes";
import { BINDING_KINDS, DECLARED_KINDS } from "../src/bindings/registry";
import { bindingsDescription } from "../src/runtime/config";

const te = new TextEncoder();
const td = new TextDecoder();

let mf: Miniflare;
const envs: Record<string, Record<string, unknown>> = {};

beforeAll(async () => {
  envs.memory = { MY_KV: new MemoryKV(), FILES: new MemoryR2(), DB: await MemoryD1.create(), NAME: "x" };
  mf = new Miniflare({
    modules: true,
    script: "export default { fetch() { return new Response('ok') } }",
    compatibilityDate: "2025-04-01",
    kvNamespaces: ["MY_KV"],
    r2Buckets: ["FILES"],
    d1Databases: ["DB"],
  });
  await mf.ready;
  envs.workerd = { MY_KV: await mf.getKVNamespace("MY_KV"), FILES: await mf.getR2Bucket("FILES"), DB: await mf.getD1Database("DB"), NAME: "x" };
});
afterAll(async () => {
  await mf?.dispose();
});

async function expectHostError(p: Promise<unknown>, status: number, re?: RegExp) {
  const e = await p.then(() => undefined, (x) => x);
  expect(e).toBeInstanceOf(HostError);
  expect((e as HostError).status).toBe(status);
  if (re) expect((e as HostError).message).toMatch(re);
}

describe.each(["memory", "workerd"])("bindings on %s", (which) => {
  const b = () => new CloudflareBindings({ env: envs[which]! });

  it("KV get/put/delete/list with metadata and binary values", async () => {
    const k = b();
    expect((await k.call("kv", "MY_KV", "get", { key: "missing" }, [])).meta).toEqual({ found: false });
    const bin = new Uint8Array([0, 1, 2, 255, 254]);
    await k.call("kv", "MY_KV", "put", { key: "bin", metadata: { a: 1 } }, [bin]);
    await k.call("kv", "MY_KV", "put", { key: "key", expirationTtl: 3600 }, [te.encode('{"hello":"world"}')]);
    const g = await k.call("kv", "MY_KV", "get", { key: "bin" }, []);
    expect(g.meta).toEqual({ found: true, metadata: { a: 1 } });
    expect([...g.blobs![0]!]).toEqual([...bin]);
    const l = await k.call("kv", "MY_KV", "list", { prefix: "" }, []);
    expect((l.meta as any).list_complete).toBe(true);
    expect((l.meta as any).keys.map((x: any) => x.name)).toEqual(["bin", "key"]);
    expect((l.meta as any).keys[0].metadata).toEqual({ a: 1 });
    expect(typeof (l.meta as any).keys[1].expiration).toBe("number");
    const page = await k.call("kv", "MY_KV", "list", { limit: 1 }, []);
    expect((page.meta as any).keys).toHaveLength(1);
    expect((page.meta as any).list_complete).toBe(false);
    expect(typeof (page.meta as any).cursor).toBe("string");
    await k.call("kv", "MY_KV", "delete", { key: "bin" }, []);
    expect((await k.call("kv", "MY_KV", "get", { key: "bin" }, [])).meta).toEqual({ found: false });
  });

  it("R2 put/get/head/list/delete of binary data with metadata", async () => {
    const r = b();
    const body = new Uint8Array(70_000).map((_, i) => (i * 7) & 255);
    const p = await r.call("r2", "FILES", "put", { key: "dir/blob.bin", httpMetadata: { contentType: "application/octet-stream" }, customMetadata: { who: "test" } }, [body]);
    const obj = (p.meta as any).object;
    expect(obj).toMatchObject({ key: "dir/blob.bin", size: 70_000, httpMetadata: { contentType: "application/octet-stream" }, customMetadata: { who: "test" } });
    expect(obj.httpEtag).toBe(`"${obj.etag}"`);
    expect(new Date(obj.uploaded).toISOString()).toBe(obj.uploaded);
    const g = await r.call("r2", "FILES", "get", { key: "dir/blob.bin" }, []);
    expect((g.meta as any).found).toBe(true);
    expect(g.blobs![0]!.byteLength).toBe(70_000);
    expect(g.blobs![0]![12345]).toBe((12345 * 7) & 255);
    expect((await r.call("r2", "FILES", "head", { key: "dir/blob.bin" }, [])).meta).toMatchObject({ found: true, object: { size: 70_000 } });
    expect((await r.call("r2", "FILES", "get", { key: "nope" }, [])).meta).toEqual({ found: false });
    await r.call("r2", "FILES", "put", { key: "top.txt" }, [te.encode("t")]);
    const l = (await r.call("r2", "FILES", "list", { delimiter: "/" }, [])).meta as any;
    expect(l.objects.map((o: any) => o.key)).toEqual(["top.txt"]);
    expect(l.delimitedPrefixes).toEqual(["dir/"]);
    expect(l.truncated).toBe(false);
    await r.call("r2", "FILES", "delete", { keys: ["dir/blob.bin", "top.txt"] }, []);
    expect(((await r.call("r2", "FILES", "list", {}, [])).meta as any).objects).toEqual([]);
  });

  it("D1 exec, query (all/first/run/raw) with bound params and BLOBs, batch", async () => {
    const d = b();
    const ex = await d.call("d1", "DB", "exec", { sql: "CREATE TABLE IF NOT EXISTS users (id INTEGER PRIMARY KEY, name TEXT, score REAL, pic BLOB)" }, []);
    expect((ex.meta as any).count).toBe(1);
    const ins = await d.call("d1", "DB", "query", { sql: "INSERT INTO users (name, score, pic) VALUES (?, ?, ?)", params: ["ada", 1.5, { $bytes: "AAEC/w==" }], mode: "run" }, []);
    expect((ins.meta as any).success).toBe(true);
    expect((ins.meta as any).meta).toMatchObject({ changes: 1, last_row_id: 1 });
    await d.call("d1", "DB", "batch", { statements: [
      { sql: "INSERT INTO users (name, score) VALUES (?, ?)", params: ["bob", 2] },
      { sql: "INSERT INTO users (name, score) VALUES (?, ?)", params: ["cy", null] },
    ] }, []);
    const all = (await d.call("d1", "DB", "query", { sql: "SELECT id, name, score, pic FROM users WHERE id >= ? ORDER BY id", params: [1], mode: "all" }, [])).meta as any;
    expect(all.results).toEqual([
      { id: 1, name: "ada", score: 1.5, pic: { $bytes: "AAEC/w==" } },
      { id: 2, name: "bob", score: 2, pic: null },
      { id: 3, name: "cy", score: null, pic: null },
    ]);
    const first = (await d.call("d1", "DB", "query", { sql: "SELECT name FROM users ORDER BY id DESC", params: [], mode: "first" }, [])).meta as any;
    expect(first.results).toEqual([{ name: "cy" }]);
    const raw = (await d.call("d1", "DB", "query", { sql: "SELECT id, name FROM users ORDER BY id", mode: "raw" }, [])).meta as any;
    expect(raw.results).toEqual([[1, "ada"], [2, "bob"], [3, "cy"]]);
    const batch = (await d.call("d1", "DB", "batch", { statements: [{ sql: "SELECT count(*) AS n FROM users", params: [] }] }, [])).meta as any;
    expect(batch[0].results).toEqual([{ n: 3 }]);
    await expectHostError(d.call("d1", "DB", "query", { sql: "SELEC nonsense", params: [] }, []), STATUS.INVALID_ARGUMENT);
  });

  it("unknown binding kind → NOT_SUPPORTED; a host kind takes no binding name", async () => {
    const x = b();
    await expectHostError(x.call("hyperdrive", "H", "connect", {}, []), STATUS.NOT_SUPPORTED, /unknown binding kind "hyperdrive"/);
    await expectHostError(x.call("http", "MY_KV", "fetch", { url: "http://x/" }, []), STATUS.INVALID_ARGUMENT, /takes no binding name/);
  });

  it("unknown binding, wrong kind, unknown op", async () => {
    const x = b();
    await expectHostError(x.call("kv", "NOPE", "get", { key: "a" }, []), STATUS.UNKNOWN_BINDING, /no binding named "NOPE"/);
    await expectHostError(x.call("kv", "FILES", "get", { key: "a" }, []), STATUS.UNKNOWN_BINDING, /not a KV namespace \(kind kv\)/);
    await expectHostError(x.call("kv", "NAME", "get", { key: "a" }, []), STATUS.UNKNOWN_BINDING);
    await expectHostError(x.call("kv", "MY_KV", "frob", {}, []), STATUS.INVALID_ARGUMENT);
    await expectHostError(x.call("kv", "MY_KV", "get", {}, []), STATUS.INVALID_ARGUMENT, /"key" must be a string/);
  });
});

describe("outbound HTTP and TCP (node host)", () => {
  let http: Server;
  let tcp: TcpServer;
  let httpPort = 0;
  let tcpPort = 0;
  beforeAll(async () => {
    http = createHttpServer((req, res) => {
      const chunks: Buffer[] = [];
      req.on("data", (c) => chunks.push(c));
      req.on("end", () => {
        if (req.url === "/redirect") {
          res.writeHead(302, { location: "/final" });
          return res.end();
        }
        const sized = /^\/(sized|chunked)\/(\d+)$/.exec(req.url ?? "");
        if (sized) {
          // n bytes of "x", with a content-length, or without one in two chunks
          const body = Buffer.alloc(Number(sized[2]), "x");
          if (sized[1] === "sized") {
            res.writeHead(200, { "content-length": String(body.length) });
            return res.end(body);
          }
          res.writeHead(200);
          res.write(body.subarray(0, body.length >> 1));
          return setTimeout(() => res.end(body.subarray(body.length >> 1)), 5);
        }
        res.writeHead(201, { "content-type": "application/json", "x-method": req.method ?? "" });
        res.end(JSON.stringify({ path: req.url, body: Buffer.concat(chunks).toString(), auth: req.headers["authorization"] ?? null }));
      });
    });
    await new Promise<void>((r) => http.listen(0, "127.0.0.1", () => r()));
    httpPort = (http.address() as any).port;
    tcp = createTcpServer((s) => s.on("data", (d) => s.write(Buffer.concat([Buffer.from("echo:"), d]))));
    await new Promise<void>((r) => tcp.listen(0, "127.0.0.1", () => r()));
    tcpPort = (tcp.address() as any).port;
  });
  afterAll(() => {
    http?.close();
    tcp?.close();
  });

  it("http.fetch: method, headers, body, status, redirect modes", async () => {
    const b = new CloudflareBindings({ env: {} });
    const r = await b.call("http", "", "fetch", { url: `http://127.0.0.1:${httpPort}/p?q=1`, method: "POST", headers: [["authorization", "Bearer t"]] }, [te.encode("data")]);
    expect((r.meta as any).status).toBe(201);
    expect((r.meta as any).headers).toContainEqual(["x-method", "POST"]);
    expect(JSON.parse(td.decode(r.blobs![0]))).toEqual({ path: "/p?q=1", body: "data", auth: "Bearer t" });
    const m = await b.call("http", "", "fetch", { url: `http://127.0.0.1:${httpPort}/redirect`, method: "GET", headers: [], redirect: "manual" }, []);
    expect((m.meta as any).status).toBe(302);
    const f = await b.call("http", "", "fetch", { url: `http://127.0.0.1:${httpPort}/redirect`, method: "GET", headers: [] }, []);
    expect((f.meta as any).status).toBe(201);
    expect((f.meta as any).url).toMatch(/\/final$/);
    await expectHostError(b.call("http", "", "fetch", { url: "http://127.0.0.1:1/", method: "GET", headers: [] }, []), STATUS.IO);
    const small = new CloudflareBindings({ env: {}, maxHttpResponseBytes: 10 });
    await expectHostError(small.call("http", "", "fetch", { url: `http://127.0.0.1:${httpPort}/x`, method: "GET", headers: [] }, []), STATUS.LIMIT);
  });

  it("http.fetch holds a body to the limit whether its length is declared (read at once) or not (chunk by chunk)", async () => {
    const small = new CloudflareBindings({ env: {}, maxHttpResponseBytes: 1000 });
    const get = (path: string) => small.call("http", "", "fetch", { url: `http://127.0.0.1:${httpPort}${path}`, method: "GET", headers: [] }, []);
    for (const kind of ["sized", "chunked"]) {
      expect((await get(`/${kind}/1000`)).blobs![0]).toEqual(new Uint8Array(1000).fill(0x78));
      expect((await get(`/${kind}/0`)).blobs![0]).toEqual(new Uint8Array(0));
      await expectHostError(get(`/${kind}/1001`), STATUS.LIMIT, /exceeds 1000 bytes/);
    }
  });

  it("tcp connect/send/recv (max, leftover)/close, and EOF", async () => {
    const b = new CloudflareBindings({ env: {}, connect: nodeConnect });
    const c = await b.call("tcp", "", "connect", { hostname: "127.0.0.1", port: tcpPort }, []);
    const sock = (c.meta as any).socket;
    expect(sock).toBeGreaterThan(0);
    expect((await b.call("tcp", "", "send", { socket: sock }, [te.encode("ping")])).meta).toEqual({ sent: 4 });
    const r1 = await b.call("tcp", "", "recv", { socket: sock, max: 5 }, []);
    expect(td.decode(r1.blobs![0])).toBe("echo:");
    const r2 = await b.call("tcp", "", "recv", { socket: sock, max: 100 }, []);
    expect(td.decode(r2.blobs![0])).toBe("ping");
    await b.call("tcp", "", "close", { socket: sock }, []);
    await expectHostError(b.call("tcp", "", "recv", { socket: sock, max: 1 }, []), STATUS.INVALID_ARGUMENT, /no open socket/);
    await expectHostError(b.call("tcp", "", "connect", { hostname: "127.0.0.1", port: 1 }, []), STATUS.IO);
    await expectHostError(new CloudflareBindings({ env: {} }).call("tcp", "", "connect", { hostname: "h", port: 1 }, []), STATUS.NOT_SUPPORTED);
  });
});

describe("queue and service kinds", () => {
  it("queue send/sendBatch: json, text and bytes bodies, options, limits", async () => {
    const q = new MemoryQueue("jobs");
    const x = new CloudflareBindings({ env: { JOBS: q, MY_KV: new MemoryKV() } });
    await x.call("queue", "JOBS", "send", { contentType: "json", delaySeconds: 5 }, [te.encode('{"a":[1,2]}')]);
    await x.call("queue", "JOBS", "sendBatch", { messages: [{ contentType: "text" }, { contentType: "bytes" }] }, [te.encode("hi"), new Uint8Array([0, 255])]);
    expect(q.sent).toEqual([
      { body: { a: [1, 2] }, contentType: "json", delaySeconds: 5 },
      { body: "hi", contentType: "text" },
      { body: new Uint8Array([0, 255]), contentType: "bytes" },
    ]);
    await expectHostError(x.call("queue", "JOBS", "send", { contentType: "v8" }, [te.encode("1")]), STATUS.INVALID_ARGUMENT, /contentType/);
    await expectHostError(x.call("queue", "JOBS", "send", { contentType: "json" }, [te.encode("{nope")]), STATUS.INVALID_ARGUMENT, /not JSON/);
    await expectHostError(x.call("queue", "JOBS", "send", {}, [new Uint8Array(128 * 1024 + 1)]), STATUS.LIMIT);
    await expectHostError(x.call("queue", "JOBS", "sendBatch", { messages: [{}] }, []), STATUS.INVALID_ARGUMENT, /1 messages but 0 bodies/);
    const many = Array.from({ length: 101 }, () => te.encode("1"));
    await expectHostError(x.call("queue", "JOBS", "sendBatch", { messages: many.map(() => ({})) }, many), STATUS.LIMIT);
    await expectHostError(x.call("queue", "MY_KV", "send", {}, [te.encode("1")]), STATUS.UNKNOWN_BINDING, /not a queue producer/);
    expect(q.sent).toHaveLength(3);
  });

  it("queue send on workerd's own producer binding", async () => {
    const mfq = new Miniflare({
      modules: true,
      script: "export default { fetch() { return new Response('ok') } }",
      compatibilityDate: "2025-04-01",
      queueProducers: { JOBS: "jobs" },
    });
    try {
      const x = new CloudflareBindings({ env: { JOBS: await mfq.getQueueProducer("JOBS") } });
      expect((await x.call("queue", "JOBS", "send", { contentType: "text" }, [te.encode("hello")])).meta).toBeNull();
      await x.call("queue", "JOBS", "sendBatch", { messages: [{ contentType: "json" }, { contentType: "bytes" }] }, [te.encode("[1]"), te.encode("b")]);
    } finally {
      await mfq.dispose();
    }
  });

  it("service fetch: the request goes to the bound Worker, the response comes back", async () => {
    const seen: string[] = [];
    const svc = { fetch: async (input: RequestInfo | URL, init?: RequestInit) => {
      const r = new Request(input, init);
      seen.push(`${r.method} ${r.url} ${r.headers.get("x-a")} ${await r.text()}`);
      return new Response("pong", { status: 202, headers: { "x-b": "2" } });
    } };
    const x = new CloudflareBindings({ env: { OTHER: svc, Q: new MemoryQueue("q") } });
    const r = await x.call("service", "OTHER", "fetch", { url: "https://other/p?q=1", method: "PUT", headers: [["x-a", "1"]] }, [te.encode("ping")]);
    expect(r.meta).toMatchObject({ status: 202, headers: expect.arrayContaining([["x-b", "2"]]) });
    expect(td.decode(r.blobs![0]!)).toBe("pong");
    expect(seen).toEqual(["PUT https://other/p?q=1 1 ping"]);
    await expectHostError(x.call("service", "Q", "fetch", { url: "https://x/" }, []), STATUS.UNKNOWN_BINDING, /not a service binding/);
  });

  it("the registry: unique names; declared kinds are what PYMODE_BINDINGS_DECL accepts", () => {
    expect(new Set(BINDING_KINDS.map((k) => k.name)).size).toBe(BINDING_KINDS.length);
    expect(DECLARED_KINDS).toEqual(["kv", "r2", "d1", "queue", "service"]);
    expect(BINDING_KINDS.filter((k) => k.scope === "host").map((k) => k.name)).toEqual(["http", "tcp", "do_storage", "tasks"]);
  });
});

describe("PYMODE_BINDINGS description", () => {
  it("declared bindings + plain string vars; host vars hidden", () => {
    const env = { MY_KV: new MemoryKV(), FILES: new MemoryR2(), DB: { prepare() {}, batch() {} }, TOKEN: "s3cret", GREETING: "hi", PYMODE_ROUTING: "single", PYTHON_DO: {}, PYMODE_BINDINGS_DECL: '{"MY_KV":"kv","FILES":"r2","DB":"d1","TOKEN":"secret"}' };
    expect(bindingsDescription(env)).toEqual({
      MY_KV: { type: "kv" },
      FILES: { type: "r2" },
      DB: { type: "d1" },
      TOKEN: { type: "secret", value: "s3cret" },
      GREETING: { type: "var", value: "hi" },
    });
  });
  it("clear errors for bad declarations", () => {
    expect(() => bindingsDescription({ PYMODE_BINDINGS_DECL: "{" })).toThrow(/not valid JSON/);
    expect(() => bindingsDescription({ PYMODE_BINDINGS_DECL: '{"X":"kv"}' })).toThrow(/declares X \(kv\) but the worker has no such binding/);
    expect(() => bindingsDescription({ X: {}, PYMODE_BINDINGS_DECL: '{"X":"hyperdrive"}' })).toThrow(/unknown kind "hyperdrive" \(kv, r2, d1, queue, service, var, secret\)/);
    // the registry's check of the env object: a KV namespace declared as a queue producer
    expect(() => bindingsDescription({ X: new MemoryKV(), PYMODE_BINDINGS_DECL: '{"X":"queue"}' })).toThrow(/declares X a queue producer \(queue\) but the worker's X is not one/);
  });
});

// The Asyncify driver, host imports and PythonService on a hand-written stand-in for
// python.wasm (test/fixtures/fake-python.wat, asyncified with binaryen at test time).
import { beforeAll, describe, expect, it } from "vitest";
import { buildFakePython } from "./fixtures/build-fake.mjs";
import { Bindings, HostError, OpResult, STATUS } from "../src/runtime/bindings";
import { LogRecord, PythonInstance, TrapError } from "../src/runtime/instance";
import { PythonService, framesToResponse } from "../src/runtime/service";
import { buildVfs } from "../src/runtime/config";
import { encodeFrames, encodeHttpRequest } from "../src/runtime/frames";

let module: WebAssembly.Module;
beforeAll(async () => {
  module = await WebAssembly.compile(buildFakePython());
});

class EchoBindings implements Bindings {
  calls: { binding: string; op: string; args: any }[] = [];
  failNext = false;
  constructor(private readonly delayMs = () => 1) {}
  async call(kind: string, binding: string, op: string, args: any, blobs: Uint8Array[]): Promise<OpResult> {
    if (kind !== "http") throw new HostError(STATUS.NOT_SUPPORTED, `no ${kind}`);
    this.calls.push({ binding, op, args });
    await new Promise((r) => setTimeout(r, this.delayMs()));
    if (this.failNext) {
      this.failNext = false;
      throw new HostError(STATUS.IO, "backend down");
    }
    // The fake performs its request body as an http operation (see fake-python.wat).
    return { meta: { status: 200, headers: [["x-url", args.url], ["x-calls", String(this.calls.length)]] }, blobs: [blobs[0] ?? new Uint8Array(0)] };
  }
}

function newInstance(bindings: Bindings, logs: LogRecord[] = []) {
  return PythonInstance.create({ module, vfs: buildVfs(new Uint8Array(22), undefined), bindings, logger: (r) => logs.push(r) });
}

/** Request frames whose body is the http op the fake performs: fetch(url) with `body` echoed back. */
const op = (url: string, body = "") => encodeFrames(["fetch", JSON.stringify({ url }), body]);
const req = (url: string, body = "") => encodeHttpRequest({ method: "POST", url: "https://w/", headers: [] }, op(url, body));
const httpReq = (url: string, body = "") => new Request("https://w/", { method: "POST", body: op(url, body) });

describe("Asyncify driver and host imports", () => {
  it("suspends pymode_init on an async import and resumes it with the status", async () => {
    const b = new EchoBindings();
    const inst = await newInstance(b);
    // pymode_init called kv("INIT", empty request): the host answered -3 (request needs op + args).
    expect(b.calls).toHaveLength(0);
    expect(inst.broken).toBeUndefined();
  });

  it("runs a request through two suspensions and returns the response frames", async () => {
    const b = new EchoBindings(() => 5);
    const logs: LogRecord[] = [];
    const inst = await newInstance(b, logs);
    const out = await inst.handle(req("https://w/a", "payload"));
    const resp = framesToResponse(out);
    expect(resp.status).toBe(200);
    expect(resp.headers.get("x-url")).toBe("https://w/a");
    expect(resp.headers.get("x-calls")).toBe("2");
    expect(await resp.text()).toBe("payload");
    expect(b.calls.map((c) => c.op)).toEqual(["fetch", "fetch"]);
    expect(logs).toContainEqual({ level: 20, source: "stdout", message: "handling" });
    expect(logs).toContainEqual({ level: 20, source: "python", message: "handling" });
  });

  it("serialises concurrent requests on one instance", async () => {
    const b = new EchoBindings(() => Math.random() * 10);
    const inst = await newInstance(b);
    const outs = await Promise.all(Array.from({ length: 20 }, (_, i) => inst.handle(req(`https://w/${i}`, `body-${i}`))));
    for (let i = 0; i < 20; i++) {
      const r = framesToResponse(outs[i]!);
      expect(r.headers.get("x-url")).toBe(`https://w/${i}`);
      expect(await r.text()).toBe(`body-${i}`);
    }
    // strictly alternating pairs: request i's two calls are adjacent
    for (let i = 0; i < 40; i += 2) expect(b.calls[i]!.args.url).toBe(b.calls[i + 1]!.args.url);
  });

  it("a host error becomes a negative status (the fake returns NULL → TrapError)", async () => {
    const b = new EchoBindings();
    const inst = await newInstance(b);
    b.failNext = true;
    // first call fails (ignored by the fake), second succeeds
    const ok = framesToResponse(await inst.handle(req("https://w/x")));
    expect(ok.status).toBe(200);
  });

  it("a wasm trap poisons the instance", async () => {
    const inst = await newInstance(new EchoBindings());
    await expect(inst.handle(new Uint8Array(0))).rejects.toThrow(/wasm trap: unreachable/);
    expect(inst.broken).toMatch(/unreachable/);
    await expect(inst.handle(req("https://w/"))).rejects.toThrow(TrapError);
  });

  it("proc_exit poisons the instance", async () => {
    const inst = await newInstance(new EchoBindings());
    await expect(inst.handle(new Uint8Array(1))).rejects.toThrow(/proc_exit\(3\)/);
  });

  it("refuses a module without asyncify exports", async () => {
    const plain = await WebAssembly.compile(
      new Uint8Array([0, 97, 115, 109, 1, 0, 0, 0, 5, 3, 1, 0, 1, 7, 10, 1, 6, 109, 101, 109, 111, 114, 121, 2, 0]),
    );
    await expect(PythonInstance.create({ module: plain, vfs: buildVfs(new Uint8Array(0), undefined), bindings: new EchoBindings() })).rejects.toThrow(
      /lacks required exports: pymode_init.*wasm-opt --asyncify/,
    );
  });
});

describe("PythonService", () => {
  function service(b: EchoBindings, limits = { maxRequestBytes: 1000, maxResponseBytes: 1000 }) {
    const logs: LogRecord[] = [];
    const svc = new PythonService({ factory: () => newInstance(b, logs), limits, logger: (r) => logs.push(r) });
    return { svc, logs };
  }

  it("HTTP in, HTTP out; the instance stays warm", async () => {
    const { svc } = service(new EchoBindings());
    for (let i = 0; i < 3; i++) {
      const r = await svc.fetch(httpReq("https://w/p", "x"));
      expect(r.status).toBe(200);
    }
    expect(svc.stats.instancesCreated).toBe(1);
  });

  it("413 on a request body over the limit (declared or streamed)", async () => {
    const { svc } = service(new EchoBindings());
    const r = await svc.fetch(new Request("https://w/p", { method: "POST", body: "x".repeat(1001) }));
    expect(r.status).toBe(413);
    expect(await r.json()).toMatchObject({ error: "request body too large" });
    const stream = new ReadableStream({
      start(c) {
        for (let i = 0; i < 11; i++) c.enqueue(new Uint8Array(100));
        c.close();
      },
    });
    const r2 = await svc.fetch(new Request("https://w/p", { method: "POST", body: stream, duplex: "half" } as RequestInit));
    expect(r2.status).toBe(413);
    expect(svc.stats.instancesCreated).toBe(0);
  });

  it("502 when the handler's response body is over the limit", async () => {
    const { svc } = service(new EchoBindings(), { maxRequestBytes: 10_000, maxResponseBytes: 100 });
    const r = await svc.fetch(httpReq("https://w/p", "y".repeat(500)));
    expect(r.status).toBe(502);
    expect(await r.json()).toMatchObject({ error: "response body too large" });
  });

  it("trap → 503 with the reason; the next request gets a fresh instance", async () => {
    const { svc, logs } = service(new EchoBindings());
    expect((await svc.fetch(httpReq("https://w/ok", "a"))).status).toBe(200);
    const bad = framesToResponse(await svc.handleFrames(new Uint8Array(0)));
    expect(bad.status).toBe(503);
    expect((await bad.json()).detail).toMatch(/unreachable/);
    expect(logs.some((l) => l.level === 40 && /discarding instance/.test(l.message))).toBe(true);
    const again = await svc.fetch(httpReq("https://w/ok", "b"));
    expect(again.status).toBe(200);
    expect(await again.text()).toBe("b");
    expect(svc.stats).toMatchObject({ instancesCreated: 2, traps: 1 });
  });

  it("a failing factory gives 503 and is retried on the next request", async () => {
    let n = 0;
    const svc = new PythonService({
      logger: () => undefined,
      factory: async () => {
        if (n++ === 0) throw new TrapError("pymode_init failed with status 1");
        return newInstance(new EchoBindings());
      },
    });
    expect((await svc.fetch(httpReq("https://w/", "z"))).status).toBe(503);
    expect((await svc.fetch(httpReq("https://w/", "z"))).status).toBe(200);
  });

  it("concurrent requests with a trap in the middle: the others still answer", async () => {
    const { svc } = service(new EchoBindings(() => Math.random() * 5));
    const jobs = Array.from({ length: 10 }, (_, i) =>
      i === 4 ? svc.handleFrames(new Uint8Array(0)) : svc.handleFrames(req(`https://w/${i}`, String(i))),
    );
    const rs = (await Promise.all(jobs)).map(framesToResponse);
    expect(rs[4]!.status).toBe(503);
    // requests queued behind the trapped one never ran on the broken instance: they are retried on a fresh one
    expect(rs.map((r) => r.status)).toEqual([200, 200, 200, 200, 503, 200, 200, 200, 200, 200]);
    for (const i of [0, 5, 9]) expect(await rs[i]!.text()).toBe(String(i));
    expect(svc.stats).toMatchObject({ instancesCreated: 2, traps: 1 });
    const after = framesToResponse(await svc.handleFrames(req("https://w/after", "ok")));
    expect(after.status).toBe(200);
  });
});

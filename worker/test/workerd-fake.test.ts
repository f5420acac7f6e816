// The Worker entry, PythonDO, limits, trap recovery and cloudflare:sockets/fetch plumbing in
// real workerd (Miniflare), with the fake python.wasm (test/fixtures/fake-python.wat).
import { mkdtempSync, rmSync } from "node:fs";
import { createServer, Server } from "node:http";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { bundle } from "../scripts/bundle.mjs";
import { writeFakeRuntime } from "./fixtures/build-fake.mjs";
import { decodeHttpResponse, encodeFrames, encodeHttpRequest } from "../src/runtime/frames";
import { FRAMES_CONTENT_TYPE } from "../src/runtime/service";
import { startBundle, WorkerdHandle } from "./helpers/workerd";

let tmp: string;
let h: WorkerdHandle;
let hj: WorkerdHandle;
let server: Server;
let origin: string;

beforeAll(async () => {
  tmp = mkdtempSync(join(tmpdir(), "pymode-fake-"));
  const rt = writeFakeRuntime(join(tmp, "runtime"));
  const proj = join(tmp, "project");
  const { mkdirSync, writeFileSync } = await import("node:fs");
  mkdirSync(join(proj, "src"), { recursive: true });
  writeFileSync(join(proj, "src", "entry.py"), "def on_fetch(request, env):\n    pass\n");
  await bundle({ runtime: rt, project: proj, out: join(tmp, "dist"), driver: "asyncify" });
  server = createServer((req, res) => {
    let body = "";
    req.on("data", (d) => (body += d));
    req.on("end", () => {
      res.writeHead(200, { "content-type": "text/plain", "x-seen-path": req.url ?? "" });
      res.end(`upstream:${req.url}`);
    });
  });
  await new Promise<void>((r) => server.listen(0, "127.0.0.1", () => r()));
  origin = `http://127.0.0.1:${(server.address() as any).port}`;
  // The fake python.wasm answers requests one call at a time and runs no serving loop: it is served by a
  // Durable Object (the isolate's pool is tested with the real python.wasm).
  h = await startBundle(join(tmp, "dist"), { PYMODE_MAX_REQUEST_BYTES: "4096", PYMODE_ROUTING: "single" });
  await bundle({ runtime: rt, project: proj, out: join(tmp, "dist-jspi") }); // auto: JSPI
  hj = await startBundle(join(tmp, "dist-jspi"), { PYMODE_ROUTING: "single" });
});

afterAll(async () => {
  await h?.dispose();
  await hj?.dispose();
  server?.close();
  if (tmp) rmSync(tmp, { recursive: true, force: true });
});

const op = (url: string) => encodeFrames(["fetch", JSON.stringify({ url, method: "GET", headers: [] })]);
const call = (url: string, path = "/") => fetch(new URL(path, h.url), { method: "POST", body: op(url) });

describe("worker entry + PythonDO in workerd (fake python.wasm)", () => {
  it("routes a request through PythonDO; the wasm's http import reaches a loopback server via fetch", async () => {
    const r = await call(`${origin}/hello`);
    expect(r.status).toBe(200);
    expect(r.headers.get("x-seen-path")).toBe("/hello");
    expect(await r.text()).toBe("upstream:/hello");
    expect(h.logs.some((l) => l.includes("[pymode stdout] handling"))).toBe(true);
  });

  it("413 for a request body over PYMODE_MAX_REQUEST_BYTES", async () => {
    const r = await fetch(h.url, { method: "POST", body: "x".repeat(5000) });
    expect(r.status).toBe(413);
    expect(await r.json()).toMatchObject({ error: "request body too large" });
  });

  it("a wasm trap → 503 with a reason, then a fresh instance answers", async () => {
    // An empty request body makes the fake's http op fail → pymode_handle returns NULL.
    const bad = await fetch(h.url, { method: "POST", body: "" });
    expect(bad.status).toBe(503);
    expect((await bad.json()).detail).toMatch(/pymode_handle returned NULL/);
    const ok = await call(`${origin}/after`);
    expect(ok.status).toBe(200);
    expect(await ok.text()).toBe("upstream:/after");
  });

  it("concurrent requests are serialised into the one instance and all answer", async () => {
    const rs = await Promise.all(Array.from({ length: 12 }, (_, i) => call(`${origin}/c${i}`)));
    const texts = await Promise.all(rs.map((r) => r.text()));
    expect(texts).toEqual(Array.from({ length: 12 }, (_, i) => `upstream:/c${i}`));
  });

  it("a host I/O error reaches the wasm as a negative status", async () => {
    const r = await call("http://127.0.0.1:1/refused");
    expect(r.status).toBe(503);
  });

  it("ThreadDO: POST request frames (application/vnd.pymode.frames) → response frames", async () => {
    const ns = await h.mf.getDurableObjectNamespace("THREAD_DO");
    const stub = ns.get(ns.idFromName("task-1"));
    const frames = encodeHttpRequest({ method: "POST", url: "https://pymode.internal/__pymode/thread", headers: [] }, op(`${origin}/thread`));
    const r = await stub.fetch("https://thread/", { method: "POST", headers: { "content-type": FRAMES_CONTENT_TYPE }, body: frames });
    expect(r.headers.get("content-type")).toBe(FRAMES_CONTENT_TYPE);
    const out = decodeHttpResponse(new Uint8Array(await r.arrayBuffer()));
    expect(out.head.status).toBe(200);
    expect(new TextDecoder().decode(out.body)).toBe("upstream:/thread");
    // malformed frames → a 400 response frame, not a thrown error
    const bad = await stub.fetch("https://thread/", { method: "POST", headers: { "content-type": FRAMES_CONTENT_TYPE }, body: new Uint8Array([9, 0, 0, 0, 1]) });
    const badOut = decodeHttpResponse(new Uint8Array(await bad.arrayBuffer()));
    expect([400, 503]).toContain(badOut.head.status);
  });
});

describe("experimental JSPI driver in workerd (non-asyncified fake)", () => {
  it("suspends on WebAssembly.Suspending imports and answers", async () => {
    const rs = await Promise.all([1, 2, 3].map((i) => fetch(new URL("/", hj.url), { method: "POST", body: op(`${origin}/jspi${i}`) })));
    expect(await Promise.all(rs.map((r) => r.text()))).toEqual(["upstream:/jspi1", "upstream:/jspi2", "upstream:/jspi3"]);
  });
});

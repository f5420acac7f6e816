// Host side of pymode.workflows / pymode.parallel in real workerd (Miniflare), with a fake
// python.wasm (test/fixtures/fake-python-parallel-workflow.wat) that performs whatever host
// operation the request body names: the binding kind do_storage on the
// PythonDO's ctx.storage, Durable Object alarms delivered to Python, and the kind `tasks`
// fanned out to ThreadDO instances.
import { mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { createServer, Server } from "node:http";
import { tmpdir } from "node:os";
import { dirname, join } from "node:path";
import { fileURLToPath } from "node:url";
import binaryen from "binaryen";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { bundle } from "../scripts/bundle.mjs";
import { ASYNC_IMPORTS } from "./fixtures/build-fake.mjs";
import { decodeFrames, encodeFrames, utf8 } from "../src/runtime/frames";
import { startBundle, WorkerdHandle } from "./helpers/workerd";

const here = dirname(fileURLToPath(import.meta.url));

let tmp: string;
let h: WorkerdHandle;
let server: Server;
let origin: string;
let inFlight = 0;
let peak = 0;

function buildFake(dir: string): string {
  const mod = binaryen.parseText(readFileSync(join(here, "fixtures", "fake-python-parallel-workflow.wat"), "utf8"));
  binaryen.setPassArgument("asyncify-imports", ASYNC_IMPORTS);
  mod.runPasses(["asyncify"]);
  if (!mod.validate()) throw new Error("asyncified fake module does not validate");
  mkdirSync(dir, { recursive: true });
  writeFileSync(join(dir, "python.wasm"), mod.emitBinary());
  mod.dispose();
  const eocd = new Uint8Array(22);
  eocd.set([0x50, 0x4b, 0x05, 0x06]);
  writeFileSync(join(dir, "python313.zip"), eocd);
  writeFileSync(join(dir, "manifest.json"), JSON.stringify({ fake: true, python: "fake-python-parallel-workflow.wat" }));
  return dir;
}

beforeAll(async () => {
  tmp = mkdtempSync(join(tmpdir(), "pymode-fake-wf-"));
  const rt = buildFake(join(tmp, "runtime"));
  const proj = join(tmp, "project");
  mkdirSync(join(proj, "src"), { recursive: true });
  writeFileSync(join(proj, "src", "entry.py"), "def on_fetch(request, env):\n    pass\n");
  await bundle({ runtime: rt, project: proj, out: join(tmp, "dist"), driver: "asyncify" }); // the fake is asyncified
  server = createServer((req, res) => {
    inFlight++;
    peak = Math.max(peak, inFlight);
    setTimeout(() => {
      inFlight--;
      res.writeHead(200, { "content-type": "text/plain" });
      res.end(`slow:${req.url}`);
    }, 300);
  });
  await new Promise<void>((r) => server.listen(0, "127.0.0.1", () => r()));
  origin = `http://127.0.0.1:${(server.address() as any).port}`;
  // The fake python.wasm runs no serving loop, and do_storage is the Durable Object's: a PythonDO serves it.
  h = await startBundle(join(tmp, "dist"), { PYMODE_ROUTING: "single" });
});

afterAll(async () => {
  await h?.dispose();
  server?.close();
  if (tmp) rmSync(tmp, { recursive: true, force: true });
});

const op = (name: string, args: unknown, ...blobs: (string | Uint8Array)[]) => encodeFrames([name, JSON.stringify(args), ...blobs]);
const body = (kind: string, binding: string, req: Uint8Array) => encodeFrames([kind, binding, req]);

interface Answer {
  status: number;
  meta: any;
  blobs: Uint8Array[];
}

function parse(status: number, bytes: Uint8Array): Answer {
  const fields = decodeFrames(bytes);
  return { status, meta: JSON.parse(utf8(fields[0]!)), blobs: fields.slice(1) };
}

async function probe(kind: string, binding: string, req: Uint8Array): Promise<Answer> {
  const r = await fetch(h.url, { method: "POST", body: body(kind, binding, req) });
  return parse(r.status, new Uint8Array(await r.arrayBuffer()));
}
const storage = (name: string, args: unknown, ...blobs: (string | Uint8Array)[]) => probe("do_storage", "", op(name, args, ...blobs));
const tasks = (args: unknown, payloads: Uint8Array[]) => probe("tasks", "", op("run", args, ...payloads));

describe("kind do_storage on the PythonDO's storage (workerd)", () => {
  it("get/put/list/delete with the KV op shapes, binary values and metadata", async () => {
    expect((await storage("get", { key: "wf:run:a" })).meta).toEqual({ found: false });
    expect((await storage("put", { key: "wf:run:a", metadata: { v: 1 } }, new Uint8Array([0, 1, 255]))).status).toBe(200);
    await storage("put", { key: "wf:run:b" }, "{}");
    await storage("put", { key: "other" }, "x");
    const got = await storage("get", { key: "wf:run:a" });
    expect(got.meta).toEqual({ found: true, metadata: { v: 1 } });
    expect([...got.blobs[0]!]).toEqual([0, 1, 255]);
    const page = await storage("list", { prefix: "wf:run:", limit: 1 });
    expect(page.meta).toEqual({ keys: [{ name: "wf:run:a", metadata: { v: 1 } }], list_complete: false, cursor: "wf:run:a" });
    const rest = await storage("list", { prefix: "wf:run:", cursor: page.meta.cursor });
    expect(rest.meta).toEqual({ keys: [{ name: "wf:run:b" }], list_complete: true });
    await storage("delete", { key: "wf:run:b" });
    expect((await storage("list", { prefix: "wf:" })).meta.keys.map((k: any) => k.name)).toEqual(["wf:run:a"]);
  });

  it("is durable: it outlives the Python instance (a trap discards the instance, not the storage)", async () => {
    await storage("put", { key: "durable" }, "kept");
    const trap = await fetch(h.url, { method: "POST", body: body("trap", "", new Uint8Array(0)) });
    expect(trap.status).toBe(503);
    const got = await storage("get", { key: "durable" });
    expect(utf8(got.blobs[0]!)).toBe("kept");
  });

  it("refuses expiration and values over 128 KiB", async () => {
    const ttl = await storage("put", { key: "t", expirationTtl: 60 }, "x");
    expect(ttl.status).toBe(500);
    expect(ttl.meta.code).toBe("NOT_SUPPORTED");
    const big = await storage("put", { key: "big" }, new Uint8Array(128 * 1024 + 1));
    expect(big.meta.code).toBe("LIMIT_EXCEEDED");
  });

  it("alarm: a Durable Object alarm calls back into Python", async () => {
    const at = Date.now() / 1000 + 0.3;
    expect((await storage("alarm", { at })).meta).toEqual({ alarm: true });
    // the alarm request has an empty body: the fake then writes alarm-fired=done into storage
    await expect
      .poll(async () => {
        const r = await storage("get", { key: "alarm-fired" });
        return r.meta.found ? utf8(r.blobs[0]!) : "";
      }, { timeout: 10_000, interval: 100 })
      .toBe("done");
    expect((await storage("alarm", { at: "soon" })).meta.code).toBe("INVALID_ARGUMENT");
  });

  it("clients cannot reach the host's /__pymode/ channel", async () => {
    expect((await fetch(new URL("/__pymode/alarm", h.url), { method: "POST" })).status).toBe(404);
    expect((await fetch(new URL("/__pymode/thread", h.url), { method: "POST", body: "x" })).status).toBe(404);
  });
});

describe("kind `tasks`: fan-out to ThreadDO instances (workerd)", () => {
  const fetchTask = (path: string) => body("http", "", op("fetch", { url: `${origin}${path}`, method: "GET", headers: [] }));

  it("runs every task in a ThreadDO, at most `limit` at once, results in task order", async () => {
    peak = 0;
    const t0 = Date.now();
    const r = await tasks({ tasks: [{}, {}, {}, {}, {}], limit: 2 }, [0, 1, 2, 3, 4].map((i) => fetchTask(`/t${i}`)));
    expect(r.status).toBe(200);
    expect(r.meta).toEqual({ results: [0, 1, 2, 3, 4].map(() => ({ status: 200 })) });
    // each blob is a task's response body: here the fake's result frames of its fetch
    expect(r.blobs.map((b) => utf8(parse(200, b).blobs[0]!))).toEqual([0, 1, 2, 3, 4].map((i) => `slow:/t${i}`));
    expect(peak).toBe(2); // two tasks ran at the same time: two instances; never more than limit
    expect(Date.now() - t0).toBeGreaterThanOrEqual(3 * 300 - 50);
  });

  it("a task has its own Durable Object storage, not the caller's", async () => {
    await storage("put", { key: "caller-only" }, "1");
    const r = await tasks({ tasks: [{}] }, [body("do_storage", "", op("get", { key: "caller-only" }))]);
    expect(r.meta.results).toEqual([{ status: 200 }]);
    expect(parse(200, r.blobs[0]!).meta).toEqual({ found: false });
  });

  it("a task cannot spawn tasks; a crashed task is reported, the others still answer", async () => {
    const nested = body("tasks", "", op("run", { tasks: [{}] }, fetchTask("/never")));
    const r = await tasks({ tasks: [{}, {}, {}] }, [nested, body("trap", "", new Uint8Array(0)), fetchTask("/ok")]);
    expect(r.meta.results.map((x: any) => x.status)).toEqual([500, 503, 200]);
    expect(parse(500, r.blobs[0]!).meta).toMatchObject({ code: "NOT_SUPPORTED", message: expect.stringMatching(/no nested fan-out/) });
    expect(JSON.parse(utf8(r.blobs[1]!))).toMatchObject({ error: "python runtime unavailable" });
    expect(utf8(parse(200, r.blobs[2]!).blobs[0]!)).toBe("slow:/ok");
  });

  it("bounded: more than 64 tasks or a limit over 32 is LIMIT_EXCEEDED", async () => {
    const many = Array.from({ length: 65 }, () => fetchTask("/x"));
    const r = await tasks({ tasks: many.map(() => ({})), limit: 2 }, many);
    expect(r.status).toBe(500);
    expect(r.meta.code).toBe("LIMIT_EXCEEDED");
    expect((await tasks({ tasks: [{}], limit: 33 }, [fetchTask("/x")])).meta.code).toBe("LIMIT_EXCEEDED");
    expect((await tasks({ tasks: [{}, {}] }, [fetchTask("/x")])).meta.code).toBe("INVALID_ARGUMENT");
  });
});

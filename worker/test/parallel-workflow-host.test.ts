// The node-side pieces of docs/abi.md §7 without python.wasm: storage ops on MemoryDurableStorage
// (the node host's ctx.storage, alarms by timer), the `tasks` pool, and the host kinds do_storage/tasks of the registry.
import { describe, expect, it } from "vitest";
import { HostError, STATUS } from "../src/runtime/bindings";
import { decodeHttpRequest, encodeHttpResponse, utf8 } from "../src/runtime/frames";
import { CloudflareBindings } from "../src/bindings/cloudflare";
import { MemoryDurableStorage, storageOp } from "../src/runtime/storage";
import { TASK_URL, runTasks } from "../src/runtime/tasks";

const te = new TextEncoder();

describe("storage ops on MemoryDurableStorage", () => {
  it("KV op shapes, cursor paging, no expiration, 128 KiB values", async () => {
    const s = new MemoryDurableStorage();
    for (const k of ["b", "a", "c"]) await storageOp(s, "put", { key: `p:${k}` }, [te.encode(k)]);
    const first = await storageOp(s, "list", { prefix: "p:", limit: 2 }, []);
    expect(first.meta).toEqual({ keys: [{ name: "p:a" }, { name: "p:b" }], list_complete: false, cursor: "p:b" });
    expect((await storageOp(s, "list", { prefix: "p:", cursor: "p:b" }, [])).meta).toEqual({ keys: [{ name: "p:c" }], list_complete: true });
    expect(utf8((await storageOp(s, "get", { key: "p:a" }, [])).blobs![0]!)).toBe("a");
    await expect(storageOp(s, "put", { key: "x", expiration: 5 }, [te.encode("1")])).rejects.toMatchObject({ status: STATUS.NOT_SUPPORTED });
    await expect(storageOp(s, "put", { key: "x" }, [new Uint8Array(128 * 1024 + 1)])).rejects.toMatchObject({ status: STATUS.LIMIT });
    await expect(storageOp(s, "get", { key: "" }, [])).rejects.toMatchObject({ status: STATUS.INVALID_ARGUMENT });
    await expect(storageOp(s, "frobnicate", {}, [])).rejects.toBeInstanceOf(HostError);
  });

  it("alarm keeps the earliest time and calls back", async () => {
    let fired = 0;
    const s = new MemoryDurableStorage(async () => {
      fired++;
    });
    const now = Date.now() / 1000;
    expect((await storageOp(s, "alarm", { at: now + 0.2 }, [])).meta).toEqual({ alarm: true });
    await storageOp(s, "alarm", { at: now + 5 }, []); // later: the earlier alarm stays
    expect(await s.getAlarm()).toBe(Math.ceil((now + 0.2) * 1000));
    await expect.poll(() => fired, { timeout: 3000 }).toBe(1);
    expect(await s.getAlarm()).toBeNull();
    s.dispose();
  });
});

describe("runTasks", () => {
  it("serves each payload as a task request, `limit` at a time, in order", async () => {
    let running = 0;
    let peak = 0;
    const seenSlots = new Set<number>();
    const r = await runTasks({ tasks: [{}, {}, {}, {}, {}], limit: 3 }, [1, 2, 3, 4, 5].map((i) => te.encode(`p${i}`)), async (frames, slot) => {
      seenSlots.add(slot);
      const { head, body } = decodeHttpRequest(frames);
      expect([head.method, head.url]).toEqual(["POST", TASK_URL]);
      running++;
      peak = Math.max(peak, running);
      await new Promise((res) => setTimeout(res, 30));
      running--;
      if (utf8(body) === "p4") throw new Error("instance lost");
      return encodeHttpResponse({ status: 200, headers: [] }, te.encode(`done ${utf8(body)}`));
    });
    expect(peak).toBe(3);
    expect([...seenSlots].sort()).toEqual([0, 1, 2]);
    expect((r.meta as any).results).toEqual([
      { status: 200 }, { status: 200 }, { status: 200 },
      { status: 503, error: "task runner failed: Error: instance lost" }, { status: 200 },
    ]);
    expect(r.blobs!.map(utf8)).toEqual(["done p1", "done p2", "done p3", "", "done p5"]);
  });

  it("host kinds do_storage and tasks: NOT_SUPPORTED where the host lacks them, and no binding name", async () => {
    const noExt = new CloudflareBindings({ env: {}, noTasksReason: "a task cannot spawn tasks (no nested fan-out)" });
    await expect(noExt.call("do_storage", "", "get", { key: "k" }, [])).rejects.toMatchObject({ status: STATUS.NOT_SUPPORTED });
    await expect(noExt.call("tasks", "", "run", { tasks: [] }, [])).rejects.toMatchObject({ status: STATUS.NOT_SUPPORTED, message: expect.stringMatching(/nested/) });
    const ext = new CloudflareBindings({ env: {}, storage: new MemoryDurableStorage() });
    expect((await ext.call("do_storage", "", "get", { key: "k" }, [])).meta).toEqual({ found: false });
    await expect(ext.call("do_storage", "X", "get", { key: "k" }, [])).rejects.toMatchObject({ status: STATUS.INVALID_ARGUMENT });
    await expect(ext.call("do_storage", "", "frobnicate", {}, [])).rejects.toMatchObject({ status: STATUS.INVALID_ARGUMENT });
  });
});

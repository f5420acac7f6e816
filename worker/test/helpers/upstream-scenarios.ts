// A worker written for upstream PyMode (test/fixtures/upstream-app), run unmodified on python.wasm on every JS
// host (node host and workerd): its handler name, pymode.env's static helpers, R2 get as bytes, D1 results by
// key, parallel's join/gather tuples and its workflow routes (issue #19).
import { dirname, resolve } from "node:path";
import { fileURLToPath } from "node:url";
import { expect, it } from "vitest";
import type { Host } from "./scenarios";

const here = dirname(fileURLToPath(import.meta.url));
export const UPSTREAM_APP = resolve(here, "..", "fixtures", "upstream-app");

const post = (body: unknown): RequestInit => ({ method: "POST", body: JSON.stringify(body), headers: { "content-type": "application/json" } });

export function defineUpstreamScenarios(host: () => Host) {
  const json = async (path: string, init?: RequestInit) => {
    const r = await host().fetch(path, init);
    const text = await r.text();
    expect(r.status, text).toBe(200);
    return JSON.parse(text);
  };

  it("pymode.env's static KV helpers and the KV binding see the same namespace; get_multi/put_multi", async () => {
    expect(await json("/kv")).toEqual({ static: "hello", binding: "hello", missing: null, multi: { a: "1", b: "2" } });
  });

  it("R2 get returns bytes (the binding and the static helper)", async () => {
    expect(await json("/r2")).toEqual({ type: "bytes", bytes: [0, 1, 2], static: [0, 1, 2], missing: null });
  });

  it("D1: static execute/batch, batch as rows and results read by key", async () => {
    expect(await json("/d1")).toEqual({ rows: [{ n: 7 }, { n: 8 }], count: [{ c: 2 }], batch: [[{ m: 8 }], [{ m: 7 }]],
      get: [{ n: 7 }, { n: 8 }] });
  });

  it("get_env and env attributes read vars", async () => {
    expect(await json("/env")).toEqual({ greeting: "hi there", attr: "hi there", unset: null });
  });

  it("parallel: spawn().join() and gather((fn, args))", async () => {
    expect(await json("/parallel")).toEqual({ join: 42, gather: [2, 4] });
  });

  it("a static helper without its default binding says which binding is missing", async () => {
    const r = await host().fetch("/no-default-kv");
    expect(r.status).toBe(500);
    expect(await r.text()).toMatch(/^KVError: .*no binding named "KV"/);
  });

  it("workflow routes: info, run {input}, resume {workflow_id, journal}", async () => {
    expect(await json("/workflow/info")).toEqual({ name: "order-processing", steps: [
      { name: "validate_order", retries: 0, backoff: 1.0 },
      { name: "calculate_total", retries: 2, backoff: 1.0 },
      { name: "create_receipt", retries: 0, backoff: 1.0 },
    ] });
    const run = await json("/workflow/run", post({ input: { item: "widget", quantity: 3 } }));
    expect(run.status).toBe("completed");
    expect(run.workflow_id).toMatch(/^order-processing_\d+_[0-9a-f]{8}$/);
    expect(run.results.create_receipt).toEqual({ receipt_id: `REC-${run.workflow_id}`, total: "$29.97", status: "confirmed" });
    const id = `journal-${Date.now()}`;
    const resumed = await json("/workflow/resume", post({ workflow_id: id, input: { item: "gadget", quantity: 1 }, journal: {
      completed_steps: ["validate_order", "calculate_total"],
      results: { validate_order: { item: "gadget", quantity: 1, validated: true }, calculate_total: { item: "gadget", quantity: 1, total: 5 } },
    } }));
    expect(resumed).toEqual({ workflow_id: id, status: "completed", results: {
      validate_order: { item: "gadget", quantity: 1, validated: true },
      calculate_total: { item: "gadget", quantity: 1, total: 5 },
      create_receipt: { receipt_id: `REC-${id}`, total: "$5.00", status: "confirmed" },
    } });
  });
}

// pymode.parallel and pymode.workflows on real python.wasm, run on every JS host (node host and
// workerd). The app is test/fixtures/workflow-pyapp; cross-instance counters live in MY_KV.
import { mkdtempSync } from "node:fs";
import { tmpdir } from "node:os";
import { dirname, join, resolve } from "node:path";
import { fileURLToPath } from "node:url";
import { expect, it } from "vitest";
import { bundle } from "../../scripts/bundle.mjs";
import { PYLIB, requireRuntime } from "./scenarios";

const here = dirname(fileURLToPath(import.meta.url));
export const WORKFLOW_APP = resolve(here, "..", "fixtures", "workflow-pyapp");

/** Bundle the workflow test app; fails (never skips) without python.wasm. */
export async function bundleWorkflowApp(driver?: string): Promise<string> {
  const runtime = requireRuntime();
  const out = mkdtempSync(join(tmpdir(), "pymode-wf-bundle-"));
  await bundle({ runtime, project: WORKFLOW_APP, pylib: PYLIB, out, driver });
  return out;
}

export interface WfHost {
  fetch(path: string, init?: RequestInit): Promise<Response>;
  logs(): string[];
}

const post = (body: unknown): RequestInit => ({ method: "POST", body: JSON.stringify(body), headers: { "content-type": "application/json" } });

async function status(h: WfHost, id: string): Promise<any> {
  const r = await h.fetch(`/workflow/status?id=${id}`);
  expect(r.status).toBe(200);
  return r.json();
}

async function waitFor(h: WfHost, id: string, state: string, timeoutMs = 20_000): Promise<any> {
  const end = Date.now() + timeoutMs;
  let last: any;
  while (Date.now() < end) {
    last = await status(h, id);
    if (last.state === state) return last;
    await new Promise((r) => setTimeout(r, 100));
  }
  throw new Error(`run ${id} did not reach ${state}; last status ${JSON.stringify(last)}`);
}

async function kv(h: WfHost, key: string): Promise<string> {
  return (await h.fetch(`/kv?key=${encodeURIComponent(key)}`)).text();
}

export function defineWorkflowScenarios(host: () => WfHost) {
  it("parallel: spawn/gather runs every task in a thread-role instance", async () => {
    const r = await host().fetch("/parallel?n=5");
    expect(r.status).toBe(200);
    expect(await r.json()).toEqual({ squares: [0, 1, 4, 9, 16], roles: ["thread"], caller_role: "main" });
  });

  it("parallel: a task's error is re-raised in gather with its traceback", async () => {
    const r = await host().fetch("/parallel/error");
    expect(r.status).toBe(200);
    const e = await r.json();
    expect(e.type).toBe("ValueError");
    expect(e.message).toBe("bad 3");
    expect(e.traceback).toMatch(/Traceback \(most recent call last\)[\s\S]*in explode[\s\S]*ValueError: bad 3/);
  });

  it("parallel: a task cannot spawn tasks", async () => {
    const e = await (await host().fetch("/parallel/nested")).json();
    expect(e.type).toBe("RuntimeError");
    expect(e.message).toMatch(/cannot spawn tasks/);
  });

  it("workflow: a step fails twice then succeeds; backoff waits are host alarms", async () => {
    const id = `retry-${Date.now()}`;
    const r = await host().fetch("/workflow/run", post({ workflow: "orders", id, input: { prices: [2, 5], failures: 2 } }));
    expect(r.status).toBe(200);
    // the request returns while the retry waits (the host wakes the run with an alarm)
    expect(await r.json()).toEqual({ id, state: "waiting" });
    const done = await waitFor(host(), id, "completed");
    expect(done.steps.map((s: any) => [s.name, s.state, s.attempts])).toEqual([
      ["validate", "completed", 1],
      ["charge", "completed", 3],
      ["ship", "completed", 1],
    ]);
    expect(done.steps[2].result).toEqual({ tracking: "T-7" });
    const times: number[] = JSON.parse(await kv(host(), `times:${id}`));
    expect(times).toHaveLength(3);
    const gaps = [times[1]! - times[0]!, times[2]! - times[1]!];
    // backoff 0.3 s doubled: 0.3 then 0.6 (alarm delivery adds latency, never less)
    expect(gaps[0]).toBeGreaterThanOrEqual(0.29);
    expect(gaps[0]).toBeLessThan(0.3 + 3);
    expect(gaps[1]).toBeGreaterThanOrEqual(0.59);
    expect(gaps[1]).toBeLessThan(0.6 + 3);
    expect(await kv(host(), `count:${id}:validate`)).toBe("1");
    // idempotent on the id: running it again changes nothing
    expect(await (await host().fetch("/workflow/run", post({ workflow: "orders", id, input: { prices: [2, 5], failures: 2 } }))).json()).toEqual({ id, state: "completed" });
    expect(await kv(host(), `count:${id}:validate`)).toBe("1");
  });

  it("workflow: the instance dies mid-step; resume continues there without re-running finished steps", async () => {
    const id = `evict-${Date.now()}`;
    const r = await host().fetch("/workflow/run", post({ workflow: "orders", id, input: { prices: [4], abort_once: true } }));
    expect(r.status).toBe(503); // os.abort() in `charge` trapped the instance
    const mid = await status(host(), id);
    expect(mid.steps.map((s: any) => [s.name, s.state, s.attempts])).toEqual([
      ["validate", "completed", 1],
      ["charge", "running", 1],
      ["ship", "pending", 0],
    ]);
    // The interrupted attempt counts as a failed attempt: the retry waits its backoff (0.3 s, an alarm).
    const resumed = await host().fetch("/workflow/resume", post({ id }));
    expect(await resumed.json()).toEqual({ id, state: "waiting" });
    const done = await waitFor(host(), id, "completed");
    expect(done.steps[1]).toEqual({ name: "charge", state: "completed", attempts: 2, result: { charged: 4 } });
    expect(await kv(host(), `count:${id}:validate`)).toBe("1");
    expect(await kv(host(), `count:${id}:ship`)).toBe("1");
  });

  it("workflow: /workflow/runs lists the runs, newest first", async () => {
    const r = await host().fetch("/workflow/runs?workflow=orders");
    expect(r.status).toBe(200);
    const runs = (await r.json()).runs;
    expect(runs.map((x: any) => x.id.split("-")[0])).toEqual(["evict", "retry"]);
    expect(runs.every((x: any) => x.state === "completed" && x.workflow === "orders")).toBe(true);
  });

  it("workflow: status of an unknown run is 404; bad requests are 4xx", async () => {
    expect((await host().fetch("/workflow/status?id=nope")).status).toBe(404);
    expect((await host().fetch("/workflow/run", post({ workflow: "missing" }))).status).toBe(404);
  });

  it("workflow: upstream PyMode's routes (info, run {workflow_id, input}, resume {workflow_id, journal})", async () => {
    const info = await host().fetch("/workflow/info");
    expect(info.status).toBe(200);
    expect(await info.json()).toEqual({ name: "orders", steps: [
      { name: "validate", retries: 0, backoff: 1.0 },
      { name: "charge", retries: 2, backoff: 0.3 },
      { name: "ship", retries: 0, backoff: 1.0 },
    ] });
    const id = `upstream-${Date.now()}`;
    const run = await host().fetch("/workflow/run", post({ workflow_id: id, input: { prices: [3, 4] } }));
    expect(run.status).toBe(200);
    expect(await run.json()).toEqual({ workflow_id: id, status: "completed",
      results: { validate: { total: 7 }, charge: { charged: 7 }, ship: { tracking: "T-7" } } });
    const resumed = await host().fetch("/workflow/resume", post({ workflow_id: `${id}-j`, input: { prices: [1] },
      journal: { completed_steps: ["validate", "charge"], results: { validate: { total: 1 }, charge: { charged: 100 } } } }));
    expect(resumed.status).toBe(200);
    const doc = await resumed.json();
    expect(doc).toMatchObject({ workflow_id: `${id}-j`, status: "completed" });
    expect(doc.results.ship).toEqual({ tracking: "T-100" }); // the journal's charge result, not re-run
    expect(await kv(host(), `count:${id}-j:validate`)).toBe("");
    const bad = await host().fetch("/workflow/resume", post({ workflow_id: "x", journal: { completed_steps: ["refund"] } }));
    expect(bad.status).toBe(400);
    expect((await bad.json()).error).toMatch(/does not have: refund/);
  });
}

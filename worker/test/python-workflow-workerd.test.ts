// pymode.parallel / pymode.workflows on real python.wasm in workerd: PythonDO's ctx.storage,
// Durable Object alarms, and tasks fanned out to ThreadDO instances.
import { describe, expect, it } from "vitest";
import { setUpOnce } from "./helpers/setup";
import { startBundle, workerdHost } from "./helpers/workerd";
import { bundleWorkflowApp, defineWorkflowScenarios, WfHost } from "./helpers/workflow-scenarios";

// What the operator deploys for two PyModeWorkflows on one cron (worker/src/runtime/schedules.ts).
const SCHEDULES = [
  { cron: "*/5 * * * *", workflow: "orders", resource: "every-5m", input: { prices: [4, 5] }, concurrency: "Forbid" },
  { cron: "*/5 * * * *", workflow: "orders", resource: "every-5m-retrying", input: { prices: [1], failures: 1 }, concurrency: "Allow" },
];

const workerd = setUpOnce(async () =>
  startBundle(await bundleWorkflowApp(), { PYMODE_SCHEDULES: JSON.stringify(SCHEDULES) }),
  { timeoutMs: 120_000, tearDown: (h) => h.dispose() });
const host = (): WfHost => workerdHost(workerd());

describe("pymode.parallel and pymode.workflows on python.wasm (workerd: PythonDO, ThreadDO, alarms)", () => {
  defineWorkflowScenarios(host);
});

describe("cron triggers (workerd scheduled handler → workflow runs)", () => {
  const fire = async (cron: string, at: number) => {
    const worker = await workerd().mf.getWorker();
    return worker.scheduled({ cron, scheduledTime: new Date(at) });
  };
  const run = async (id: string) => {
    const r = await host().fetch(`/workflow/status?id=${id}`);
    return { status: r.status, doc: r.status === 200 ? await r.json() : null };
  };

  it("a firing starts each listed workflow run with its input, id and trigger", async () => {
    const at = Date.UTC(2026, 11, 2, 3, 5, 0);
    const result = await fire("*/5 * * * *", at);
    expect(result.outcome).toBe("ok");
    const first = await run(`every-5m-${at / 1000}`);
    expect(first.status).toBe(200);
    expect(first.doc).toMatchObject({ workflow: "orders", state: "completed", trigger: "Schedule" });
    expect(first.doc.steps.map((s: any) => s.result)).toEqual([{ total: 9 }, { charged: 9 }, { tracking: "T-9" }]);
    // the second entry's step fails once: it waits for its Durable Object alarm, then completes
    const end = Date.now() + 20_000;
    let second = await run(`every-5m-retrying-${at / 1000}`);
    while (second.doc?.state !== "completed" && Date.now() < end) {
      await new Promise((r) => setTimeout(r, 200));
      second = await run(`every-5m-retrying-${at / 1000}`);
    }
    expect(second.doc).toMatchObject({ state: "completed", trigger: "Schedule" });
    expect(second.doc.steps[1].attempts).toBe(2);
  });

  it("the same firing delivered twice starts one run; another cron starts nothing", async () => {
    const at = Date.UTC(2026, 11, 2, 3, 10, 0);
    expect((await fire("*/5 * * * *", at)).outcome).toBe("ok");
    expect((await fire("*/5 * * * *", at)).outcome).toBe("ok");
    const listed = await (await host().fetch("/workflow/runs?workflow=orders&limit=100")).json();
    expect(listed.runs.filter((r: any) => r.id === `every-5m-${at / 1000}`)).toHaveLength(1);
    const before = listed.runs.length;
    expect((await fire("0 3 * * *", at)).outcome).toBe("ok");
    const after = await (await host().fetch("/workflow/runs?workflow=orders&limit=100")).json();
    expect(after.runs.length).toBe(before);
    expect(workerd().logs.join("\n")).toContain('cron "0 3 * * *" fired but PYMODE_SCHEDULES starts nothing for it');
  });
});

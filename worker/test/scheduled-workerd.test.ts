// Cron triggers that call Python (worker/src/runtime/schedules.ts, pylib/pymode/scheduled.py), on real
// python.wasm in workerd: the entry's Default.scheduled(self, controller, env, ctx) gets each firing of
// a cron the worker declared (PYMODE_SCHEDULES handler entries), and its failures fail the invocation.
import { dirname, resolve } from "node:path";
import { fileURLToPath } from "node:url";
import { describe, expect, it } from "vitest";
import { bundleTestApp } from "./helpers/scenarios";
import { setUpOnce } from "./helpers/setup";
import { startBundle } from "./helpers/workerd";

const APP = resolve(dirname(fileURLToPath(import.meta.url)), "fixtures", "scheduled-app");
// What the operator deploys for spec.crons.
const SCHEDULES = ["*/5 * * * *", "13 13 * * *", "0 0 1 1 *"].map((cron) => ({ cron, handler: "scheduled" }));

const workerd = setUpOnce(async () =>
  startBundle(await bundleTestApp({ project: APP }), { PYMODE_SCHEDULES: JSON.stringify(SCHEDULES) }),
  { timeoutMs: 120_000, tearDown: (h) => h.dispose() });

describe("cron triggers → the Python scheduled handler (workerd)", () => {
  const fire = async (cron: string, at: number) => {
    return (await workerd().mf.getWorker()).scheduled({ cron, scheduledTime: new Date(at) });
  };
  const page = async () => (await fetch(workerd().url)).text();

  it("a declared cron calls Default.scheduled with the controller, awaited env and ctx.waitUntil", async () => {
    const at = Date.UTC(2026, 11, 7, 10, 5);
    expect(await fire("*/5 * * * *", at)).toMatchObject({ outcome: "ok", noRetry: false });
    expect(await page()).toBe(`*/5 * * * * at ${at}; waited for`);
  });

  it("controller.noRetry() reaches the platform; an undeclared cron calls nothing", async () => {
    const at = Date.UTC(2027, 0, 1);
    expect(await fire("0 0 1 1 *", at)).toMatchObject({ outcome: "ok", noRetry: true });
    expect(await fire("0 3 * * *", at + 60_000)).toMatchObject({ outcome: "ok" });
    expect(await page()).toBe(`0 0 1 1 * at ${at}; waited for`);
    expect(workerd().logs.join("\n")).toContain('cron "0 3 * * *" fired but PYMODE_SCHEDULES starts nothing for it');
  });

  it("a handler that raises fails the invocation; its traceback is in the worker's log", async () => {
    const result = await fire("13 13 * * *", Date.UTC(2026, 11, 7, 13, 13));
    expect(result.outcome).toBe("exception");
    const logs = workerd().logs.join("\n");
    expect(logs).toContain("pymode: the scheduled handler failed");
    expect(logs).toContain("RuntimeError: the 13:13 job always fails");
  });
});

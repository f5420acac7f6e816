// PYMODE_SCHEDULES: what a cron trigger starts (src/runtime/schedules.ts).
import { describe, expect, it } from "vitest";
import { deliverScheduledEvent, firesHandler, parseSchedules, runsForFiring, SCHEDULED_URL } from "../src/runtime/schedules";
import { decodeHttpRequest, encodeHttpResponse } from "../src/runtime/frames";

const entries = [
  { cron: "*/5 * * * *", workflow: "orders", resource: "nightly", input: { n: 1 }, concurrency: "Replace", retry: { retries: 2 } },
  { cron: "*/5 * * * *", workflow: "report", resource: "report-5m" },
  { cron: "0 3 * * *", workflow: "orders", resource: "daily" },
];

describe("PYMODE_SCHEDULES", () => {
  it("a firing starts one run per entry with that cron, with a deterministic id", () => {
    const at = Date.UTC(2026, 11, 2, 3, 5, 0, 250);
    const runs = runsForFiring(parseSchedules(JSON.stringify(entries)), "*/5 * * * *", at);
    expect(runs).toEqual([
      { workflow: "orders", id: `nightly-${Math.floor(at / 1000)}`, input: { n: 1 }, concurrency: "Replace", retry: { retries: 2 }, trigger: "Schedule" },
      { workflow: "report", id: `report-5m-${Math.floor(at / 1000)}`, input: null, concurrency: "Forbid", trigger: "Schedule" },
    ]);
    expect(runsForFiring(parseSchedules(JSON.stringify(entries)), "*/5 * * * *", at)).toEqual(runs);
    expect(runsForFiring(parseSchedules(JSON.stringify(entries)), "0 4 * * *", at)).toEqual([]);
  });

  it("no var means no schedules; malformed values name the entry and field", () => {
    expect(parseSchedules(undefined)).toEqual([]);
    expect(parseSchedules("")).toEqual([]);
    expect(() => parseSchedules("{")).toThrow(/PYMODE_SCHEDULES is not valid JSON/);
    expect(() => parseSchedules("{}")).toThrow("PYMODE_SCHEDULES must be a JSON array");
    expect(() => parseSchedules(JSON.stringify([{ cron: "* * * * *", workflow: "w" }]))).toThrow("PYMODE_SCHEDULES[0].resource must be a non-empty string");
    expect(() => parseSchedules(JSON.stringify([{ cron: "* * * * *", workflow: "w", resource: "r", concurrency: "Never" }]))).toThrow(
      "PYMODE_SCHEDULES[0].concurrency must be Allow, Forbid or Replace",
    );
    expect(() => parseSchedules(JSON.stringify([{ cron: "* * * * *", workflow: "w", resource: "r", retry: 3 }]))).toThrow("PYMODE_SCHEDULES[0].retry must be an object");
  });

  it("the worker's own crons go to the Python scheduled handler, never to a workflow run", () => {
    const all = parseSchedules(JSON.stringify([...entries, { cron: "0 * * * *", handler: "scheduled" }, { cron: "*/5 * * * *", handler: "scheduled" }]));
    expect(firesHandler(all, "0 * * * *")).toBe(true);
    expect(firesHandler(all, "*/5 * * * *")).toBe(true);
    expect(firesHandler(all, "0 3 * * *")).toBe(false);
    expect(runsForFiring(all, "0 * * * *", Date.UTC(2026, 11, 2, 4))).toEqual([]);
    expect(runsForFiring(all, "*/5 * * * *", Date.UTC(2026, 11, 2, 4))).toHaveLength(2);
    expect(() => parseSchedules(JSON.stringify([{ cron: "* * * * *", handler: "fetch" }]))).toThrow('PYMODE_SCHEDULES[0].handler must be "scheduled"');
    expect(() => parseSchedules(JSON.stringify([{ cron: "", handler: "scheduled" }]))).toThrow("PYMODE_SCHEDULES[0].cron must be a non-empty string");
    expect(() => parseSchedules(JSON.stringify([{ cron: "* * * * *", handler: "scheduled", workflow: "w", resource: "r" }]))).toThrow(
      "PYMODE_SCHEDULES[0] names a handler and a workflow",
    );
  });

  it("a firing reaches Python as POST /__pymode/scheduled; its noRetry and its failures come back", async () => {
    let noRetry = 0;
    const controller = { cron: "0 * * * *", scheduledTime: 1_765_101_600_000, noRetry: () => void noRetry++ };
    const answer = (status: number, body: string) => async (frames: Uint8Array) => {
      const { head, body: sent } = decodeHttpRequest(frames);
      expect([head.method, head.url]).toEqual(["POST", SCHEDULED_URL]);
      expect(JSON.parse(new TextDecoder().decode(sent))).toEqual({ cron: "0 * * * *", scheduledTime: 1_765_101_600_000 });
      return encodeHttpResponse({ status, headers: [] }, new TextEncoder().encode(body));
    };
    await deliverScheduledEvent(controller, answer(200, '{"noRetry": false}'));
    expect(noRetry).toBe(0);
    await deliverScheduledEvent(controller, answer(200, '{"noRetry": true}'));
    expect(noRetry).toBe(1);
    await expect(deliverScheduledEvent(controller, answer(500, '{"error": "on_scheduled raised RuntimeError"}'))).rejects.toThrow(
      'the Python scheduled handler answered 500: {"error": "on_scheduled raised RuntimeError"}',
    );
    await expect(deliverScheduledEvent(controller, answer(200, "nope"))).rejects.toThrow("answer is not JSON");
  });
});

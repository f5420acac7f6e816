// PYMODE_SCHEDULES: what a cron trigger starts (src/runtime/schedules.ts).
import { describe, expect, it } from "vitest";
import { parseSchedules, runsForFiring } from "../src/runtime/schedules";

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
});

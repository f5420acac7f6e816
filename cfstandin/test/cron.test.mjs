// Cron triggers: the expression evaluator, the schedules API, and scheduled events delivered to a
// running script (by the minute scheduler and by the admin trigger).
import assert from "node:assert/strict";
import { after, before, describe, it } from "node:test";
import { CronError, nextFiring, parseCron } from "../src/runtime/cron.mjs";
import { ACCOUNT, start, uploadForm, waitFor } from "./helpers.mjs";

const A = `/accounts/${ACCOUNT}`;
const at = (iso) => new Date(iso);

describe("cron expressions", () => {
  it("matches minutes, hours, steps, ranges, lists and names in UTC", () => {
    assert.ok(parseCron("* * * * *").matches(at("2026-12-02T03:07:00Z")));
    const every5 = parseCron("*/5 * * * *");
    assert.ok(every5.matches(at("2026-12-02T03:05:00Z")));
    assert.ok(!every5.matches(at("2026-12-02T03:07:00Z")));
    const weekdays = parseCron("30 9-17/4 * * MON-FRI");
    assert.ok(weekdays.matches(at("2026-12-02T13:30:00Z"))); // a Wednesday, 13 = 9 + 4
    assert.ok(!weekdays.matches(at("2026-12-02T12:30:00Z")));
    assert.ok(!weekdays.matches(at("2026-12-05T13:30:00Z"))); // a Saturday
    // day-of-week numbers are Cloudflare's: 1 is Sunday, 7 Saturday
    assert.ok(parseCron("0 0 * * 1").matches(at("2026-12-06T00:00:00Z")));
    assert.ok(parseCron("0 0 * * 7").matches(at("2026-12-05T00:00:00Z")));
    assert.ok(!parseCron("0 0 * * 7").matches(at("2026-12-06T00:00:00Z")));
    // Cloudflare's day extensions: the last day, the second Monday
    assert.ok(parseCron("0 0 L * *").matches(at("2026-02-28T00:00:00Z")) && !parseCron("0 0 L * *").matches(at("2026-02-27T00:00:00Z")));
    assert.ok(parseCron("0 0 * * MON#2").matches(at("2026-12-14T00:00:00Z")) && !parseCron("0 0 * * MON#2").matches(at("2026-12-07T00:00:00Z")));
    assert.ok(parseCron("0 0 1 JAN,jul *").matches(at("2026-07-01T00:00:00Z")));
    // both day fields restricted: either matches (cron semantics)
    const either = parseCron("0 0 13 * FRI");
    assert.ok(either.matches(at("2026-12-13T00:00:00Z")) && either.matches(at("2026-12-04T00:00:00Z")));
    assert.ok(!either.matches(at("2026-12-05T00:00:00Z")));
  });

  it("computes the next firing after a time", () => {
    assert.equal(new Date(nextFiring(parseCron("*/15 * * * *"), Date.parse("2026-12-02T03:14:59Z"))).toISOString(), "2026-12-02T03:15:00.000Z");
    assert.equal(new Date(nextFiring(parseCron("*/15 * * * *"), Date.parse("2026-12-02T03:15:00Z"))).toISOString(), "2026-12-02T03:30:00.000Z");
    assert.equal(new Date(nextFiring(parseCron("0 3 * * *"), Date.parse("2026-12-02T03:15:00Z"))).toISOString(), "2026-12-03T03:00:00.000Z");
  });

  it("refuses malformed expressions naming the field", () => {
    const refuses = (expr, pattern) => assert.throws(() => parseCron(expr), (e) => e instanceof CronError && pattern.test(e.message));
    refuses("* * * *", /must have 5 fields/);
    refuses("60 * * * *", /minute 60 is outside 0-59/);
    refuses("* 5-2 * * *", /hour range '5-2' runs backwards/);
    refuses("*/0 * * * *", /minute step '0' must be a positive integer/);
    refuses("* * * FOO *", /month 'FOO' is not a number or name/);
    refuses("0 0 L,15 * *", /day-of-month 'L' uses L, W or # where Cloudflare does not take them/);
    refuses("0 0 * * MON#6", /day-of-week #n 6 is outside 1-5/);
    refuses("0 0 L-3W * *", /'L-3W' \(L-nW\): Cloudflare takes it, PyMode does not evaluate it/);
    refuses("0 0 ? * MON", /uses \?, which Cloudflare does not take/);
    refuses("0 0 * * 0", /day-of-week 0 is not valid at Cloudflare: days are 1-7 from Sunday \(1 = SUN, 7 = SAT\), or SUN-SAT/);
    refuses("0 0 * * 8", /day-of-week 8 is outside 1-7 at Cloudflare/);
  });
});

const SCRIPT = `export default {
  fetch() { return new Response("ok"); },
  async scheduled(controller, env) {
    // one key per firing: concurrent firings must not race on one value
    await env.KV.put(\`fired|\${controller.cron}|\${Number(controller.scheduledTime)}\`, "1");
    if (controller.cron === "0 0 1 1 *") throw new Error("boom");
  },
};`;

describe("cron triggers on a deployed script", () => {
  let s;
  let ns;
  const fired = async () => {
    const r = await s.api("GET", `${A}/storage/kv/namespaces/${ns}/keys?prefix=fired|`);
    return r.data.result.map((k) => k.name.split("|")).map(([, cron, t]) => ({ cron, at: Number(t) })).sort((a, b) => a.at - b.at || a.cron.localeCompare(b.cron));
  };
  before(async () => {
    s = await start();
    ns = (await s.api("POST", `${A}/storage/kv/namespaces`, { json: { title: "cron-kv" } })).data.result.id;
    const metadata = { main_module: "index.js", compatibility_date: "2025-04-01", bindings: [{ name: "KV", type: "kv_namespace", namespace_id: ns }] };
    const up = await s.api("PUT", `${A}/workers/scripts/cron-app`, { body: uploadForm(metadata, [{ name: "index.js", type: "application/javascript+module", data: SCRIPT }]) });
    assert.equal(up.status, 200, up.text);
  });
  after(() => s.standin.close());

  it("PUT replaces the set, GET reads it, bad input is refused", async () => {
    assert.deepEqual((await s.api("GET", `${A}/workers/scripts/cron-app/schedules`)).data.result, { schedules: [] });
    const put = await s.api("PUT", `${A}/workers/scripts/cron-app/schedules`, { json: [{ cron: "*/5 * * * *" }, { cron: "0 0 1 1 *" }] });
    assert.equal(put.status, 200, put.text);
    assert.deepEqual(put.data.result.schedules.map((x) => x.cron), ["*/5 * * * *", "0 0 1 1 *"]);
    assert.ok(put.data.result.schedules.every((x) => x.created_on && x.modified_on));
    const got = await s.api("GET", `${A}/workers/scripts/cron-app/schedules`);
    assert.deepEqual(got.data.result, put.data.result);
    const bad = await s.api("PUT", `${A}/workers/scripts/cron-app/schedules`, { json: [{ cron: "61 * * * *" }] });
    assert.equal(bad.status, 400);
    assert.match(bad.data.errors[0].message, /invalid cron trigger: .*minute 61 is outside 0-59/);
    assert.equal((await s.api("PUT", `${A}/workers/scripts/cron-app/schedules`, { json: { cron: "* * * * *" } })).status, 400); // not an array
    const dup = await s.api("PUT", `${A}/workers/scripts/cron-app/schedules`, { json: [{ cron: "* * * * *" }, { cron: "* * * * *" }] });
    assert.match(dup.data.errors[0].message, /duplicate cron trigger/);
    assert.equal((await s.api("GET", `${A}/workers/scripts/no-such/schedules`)).data.errors[0].code, 10007);
    // the refused calls changed nothing
    assert.deepEqual((await s.api("GET", `${A}/workers/scripts/cron-app/schedules`)).data.result, put.data.result);
  });

  it("the minute scheduler sends scheduled events for the crons due in that minute", async () => {
    const minute = Date.parse("2026-12-02T03:05:00Z");
    await s.standin.scheduler.tick(minute);
    assert.deepEqual(await fired(), [{ cron: "*/5 * * * *", at: minute }]);
    await s.standin.scheduler.tick(Date.parse("2026-12-02T03:06:00Z")); // nothing due
    assert.equal((await fired()).length, 1);
    await s.standin.scheduler.tick(Date.parse("2027-01-01T00:00:00Z")); // both crons due; one handler throws
    const events = (await (await fetch(`${s.standin.url}/__standin/scheduled`)).json()).events;
    const last = events.slice(-2).sort((a, b) => a.cron.localeCompare(b.cron));
    assert.deepEqual(last.map((e) => [e.cron, e.outcome, e.scheduled_time]), [
      ["*/5 * * * *", "ok", "2027-01-01T00:00:00.000Z"],
      ["0 0 1 1 *", "exception", "2027-01-01T00:00:00.000Z"],
    ]);
    assert.ok(s.logs.some((l) => /cron "0 0 1 1 \*" → .*cron-app: exception/.test(l)));
  });

  it("the admin endpoint fires a trigger now; schedules outlive a new upload and go with the script", async () => {
    const r = await fetch(`${s.standin.url}/__standin/scheduled`, { method: "POST", body: JSON.stringify({ account: ACCOUNT, script: "cron-app", cron: "*/5 * * * *" }) });
    assert.equal(r.status, 200);
    assert.equal((await r.json()).outcome, "ok");
    await waitFor(async () => (await fired()).length === 4);
    const metadata = { main_module: "index.js", compatibility_date: "2025-04-01", bindings: [{ name: "KV", type: "kv_namespace", namespace_id: ns }] };
    await s.api("PUT", `${A}/workers/scripts/cron-app`, { body: uploadForm(metadata, [{ name: "index.js", type: "application/javascript+module", data: SCRIPT }]) });
    assert.equal((await s.api("GET", `${A}/workers/scripts/cron-app/schedules`)).data.result.schedules.length, 2);
    assert.equal((await s.api("DELETE", `${A}/workers/scripts/cron-app`)).status, 200);
    const missing = await fetch(`${s.standin.url}/__standin/scheduled`, { method: "POST", body: JSON.stringify({ account: ACCOUNT, script: "cron-app" }) });
    assert.equal(missing.status, 404);
  });
});

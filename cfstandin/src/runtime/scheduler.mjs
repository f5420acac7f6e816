// Fires the cron triggers of deployed scripts, as Cloudflare does: at the start of every UTC minute,
// each script's schedules whose cron matches that minute send a `scheduled` event to the script
// (to one version of its deployment, picked by the deployment's percentages). Every firing is kept
// in a bounded log (admin: GET /__standin/scheduled).
import { parseCron } from "./cron.mjs";

const MAX_EVENTS = 200;

export class CronScheduler {
  /**
   * @param {object} o
   * @param {import("../state.mjs").StateStore} o.store
   * @param {import("./scripts.mjs").ScriptRuntimes} o.runtimes
   * @param {(line: string) => void} o.log
   */
  constructor({ store, runtimes, log }) {
    this.store = store;
    this.runtimes = runtimes;
    this.log = log;
    this.events = [];
    this.timer = null;
    this.nextId = 1;
  }

  start() {
    const now = Date.now();
    const next = Math.floor(now / 60_000) * 60_000 + 60_000;
    this.timer = setTimeout(() => {
      this.tick(next).catch((e) => this.log(`cron tick failed: ${e.stack ?? e}`));
      this.start();
    }, next - now);
    this.timer.unref?.();
  }

  stop() {
    clearTimeout(this.timer);
    this.timer = null;
  }

  /** Fire everything due in the minute starting at `minute` (ms since the epoch). */
  async tick(minute) {
    const at = new Date(minute);
    const due = [];
    for (const [accountId, account] of this.store.accounts) {
      for (const [script, doc] of Object.entries(account.scripts)) {
        for (const schedule of doc.schedules ?? []) {
          if (parseCron(schedule.cron).matches(at)) due.push(this.fire(accountId, script, schedule.cron, minute));
        }
      }
    }
    await Promise.all(due);
  }

  /** Send one scheduled event; the result is logged and returned, never thrown. */
  async fire(accountId, script, cron, scheduledTime) {
    const event = { id: this.nextId++, account: accountId, script, cron, scheduled_time: new Date(scheduledTime).toISOString() };
    const t0 = performance.now();
    try {
      const result = await this.runtimes.scheduled(accountId, script, cron, scheduledTime);
      event.outcome = result.outcome;
    } catch (e) {
      event.outcome = "exception";
      event.error = e.message;
    }
    event.duration_ms = Math.round(performance.now() - t0);
    this.events.push(event);
    if (this.events.length > MAX_EVENTS) this.events.shift();
    this.log(`cron ${JSON.stringify(cron)} → ${accountId}/${script}: ${event.outcome}${event.error ? ` (${event.error})` : ""} ${event.duration_ms} ms`);
    return event;
  }
}

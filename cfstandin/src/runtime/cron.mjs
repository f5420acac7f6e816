// Cron expressions as Cloudflare cron triggers take them (5 fields, UTC; Cloudflare's parser is
// cloudflare/saffron): minute hour day-of-month month day-of-week, with `*`, lists `a,b`, ranges `a-b`,
// steps `*/n`, `a/n` and `a-b/n`, month names JAN-DEC and day names SUN-SAT. Day-of-week numbers are
// Cloudflare's: 1-7 from Sunday (1 = SUN, 7 = SAT); 0 is refused, as Cloudflare refuses it. Cloudflare's
// extensions `L`, `W` and `#`, and ranges wrapping around (FRI-MON), are refused with a clear message: the
// stand-in does not evaluate them.
// As at Cloudflare, when both day fields are restricted (anything but a bare `*`, so `*/1` restricts) a day
// matches either of them. testdata/cron/corpus.json holds the stand-in and the operator to one reading
// (test/cron-corpus.test.mjs here, CronSchedule's CronCorpusTest in the operator).

// maxStep: Cloudflare refuses a step longer than the field's span (*/60 minutes, */7 days of the week).
const FIELDS = [
  { name: "minute", min: 0, max: 59, maxStep: 59 },
  { name: "hour", min: 0, max: 23, maxStep: 23 },
  { name: "day-of-month", min: 1, max: 31, maxStep: 30 },
  { name: "month", min: 1, max: 12, maxStep: 11, names: ["JAN", "FEB", "MAR", "APR", "MAY", "JUN", "JUL", "AUG", "SEP", "OCT", "NOV", "DEC"], base: 1 },
  { name: "day-of-week", min: 1, max: 7, maxStep: 6, names: ["SUN", "MON", "TUE", "WED", "THU", "FRI", "SAT"], base: 1 },
];
const CLOUDFLARE_WEEKDAYS = "days are 1-7 from Sunday (1 = SUN, 7 = SAT), or SUN-SAT";

export class CronError extends Error {}

function value(text, field, expr) {
  const upper = text.toUpperCase();
  const named = field.names?.indexOf(upper) ?? -1;
  if (named >= 0) return named + field.base;
  if (!/^\d+$/.test(text)) {
    if (text.includes("?")) throw new CronError(`cron ${JSON.stringify(expr)}: ${field.name} '${text}' uses ?, which Cloudflare does not take (a bare * leaves a day field unrestricted)`);
    if (/[LW#]/.test(text)) throw new CronError(`cron ${JSON.stringify(expr)}: ${field.name} '${text}' uses L, W or # (Quartz extensions): Cloudflare takes them, cfstandin does not evaluate them`);
    throw new CronError(`cron ${JSON.stringify(expr)}: ${field.name} '${text}' is not a number${field.names ? " or name" : ""}`);
  }
  const n = Number(text);
  const weekday = field.name === "day-of-week";
  if (weekday && n === 0) throw new CronError(`cron ${JSON.stringify(expr)}: day-of-week 0 is not valid at Cloudflare: ${CLOUDFLARE_WEEKDAYS}`);
  if (n < field.min || n > field.max) throw new CronError(`cron ${JSON.stringify(expr)}: ${field.name} ${n} is outside ${field.min}-${field.max}${weekday ? ` at Cloudflare: ${CLOUDFLARE_WEEKDAYS}` : ""}`);
  return n;
}

function parseField(text, field, expr) {
  const allowed = new Set();
  for (const part of text.split(",")) {
    const [range, stepText, extra] = part.split("/");
    if (extra !== undefined || range === "") throw new CronError(`cron ${JSON.stringify(expr)}: ${field.name} '${part}' is malformed`);
    const step = stepText === undefined ? 1 : /^\d+$/.test(stepText) ? Number(stepText) : NaN;
    if (!Number.isInteger(step) || step < 1) throw new CronError(`cron ${JSON.stringify(expr)}: ${field.name} step '${stepText}' must be a positive integer`);
    if (step > field.maxStep) throw new CronError(`cron ${JSON.stringify(expr)}: ${field.name} step ${step} is above ${field.maxStep}`);
    let lo;
    let hi;
    if (range === "*") [lo, hi] = [field.min, field.max];
    else if (range.includes("-")) {
      const [a, b, extra2] = range.split("-");
      if (extra2 !== undefined) throw new CronError(`cron ${JSON.stringify(expr)}: ${field.name} '${part}' is malformed`);
      [lo, hi] = [value(a, field, expr), value(b, field, expr)];
      if (lo > hi) throw new CronError(`cron ${JSON.stringify(expr)}: ${field.name} range '${range}' runs backwards (Cloudflare wraps such a range around; cfstandin does not evaluate it)`);
    } else {
      lo = value(range, field, expr);
      hi = stepText === undefined ? lo : field.max;
    }
    for (let v = lo; v <= hi; v += step) allowed.add(v);
  }
  return { allowed, restricted: text !== "*" };
}

/** Parses a cron expression; throws CronError naming the field at fault. */
export function parseCron(expr) {
  if (typeof expr !== "string") throw new CronError("cron must be a string");
  const parts = expr.trim().split(/\s+/);
  if (parts.length !== 5) throw new CronError(`cron ${JSON.stringify(expr)} must have 5 fields (minute hour day-of-month month day-of-week), got ${parts.length}`);
  const [minute, hour, dom, month, dow] = parts.map((p, i) => parseField(p, FIELDS[i], expr));
  return {
    expr,
    /** Does the minute starting at `date` (UTC) fire? */
    matches(date) {
      if (!minute.allowed.has(date.getUTCMinutes()) || !hour.allowed.has(date.getUTCHours()) || !month.allowed.has(date.getUTCMonth() + 1)) return false;
      const domOk = dom.allowed.has(date.getUTCDate());
      const dowOk = dow.allowed.has(date.getUTCDay() + 1); // Cloudflare's numbering: 1 = Sunday
      if (dom.restricted && dow.restricted) return domOk || dowOk;
      return domOk && dowOk;
    },
  };
}

/** The first minute boundary strictly after `from` (ms) that `cron` fires on, searching up to ~5 years. */
export function nextFiring(cron, from) {
  const t = new Date(Math.floor(from / 60_000) * 60_000 + 60_000);
  for (let i = 0; i < 5 * 366 * 24 * 60; i++) {
    if (cron.matches(t)) return t.getTime();
    t.setTime(t.getTime() + 60_000);
  }
  return null;
}

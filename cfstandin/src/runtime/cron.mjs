// Cron expressions as Cloudflare cron triggers take them (5 fields, UTC; Cloudflare's parser is
// cloudflare/saffron): minute hour day-of-month month day-of-week, with `*`, lists `a,b`, ranges `a-b`,
// steps `*/n`, `a/n` and `a-b/n`, month names JAN-DEC and day names SUN-SAT. Day-of-week numbers are
// Cloudflare's: 1-7 from Sunday (1 = SUN, 7 = SAT); 0 is refused, as Cloudflare refuses it. Cloudflare's day
// extensions, each the whole field: day-of-month `L` (last day), `L-n`, `LW` (last weekday), `nW` (the weekday
// nearest the nth, within its month); day-of-week `L` (Saturday), `dL` (the month's last d), `d#n` (its nth d).
// Refused with a clear message, as the operator refuses them: ranges wrapping around (FRI-MON), `L-nW`, and `nW`
// past the 27th.
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
const DAY_EXTENSIONS = "Cloudflare takes L, L-n, LW and nW as the whole day-of-month, L, dL and d#n as the whole day-of-week";

export class CronError extends Error {}

function value(text, field, expr) {
  const upper = text.toUpperCase();
  const named = field.names?.indexOf(upper) ?? -1;
  if (named >= 0) return named + field.base;
  if (!/^\d+$/.test(text)) {
    if (text.includes("?")) throw new CronError(`cron ${JSON.stringify(expr)}: ${field.name} '${text}' uses ?, which Cloudflare does not take (a bare * leaves a day field unrestricted)`);
    if (/[LW#]/.test(text)) throw new CronError(`cron ${JSON.stringify(expr)}: ${field.name} '${text}' uses L, W or # where Cloudflare does not take them: ${DAY_EXTENSIONS}, never in a list, range or step`);
    throw new CronError(`cron ${JSON.stringify(expr)}: ${field.name} '${text}' is not a number${field.names ? " or name" : ""}${/[lw]/.test(text) ? " (Cloudflare's L and W are upper case)" : ""}`);
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

function within(n, min, max, what, expr) {
  if (n < min || n > max) throw new CronError(`cron ${JSON.stringify(expr)}: ${what} ${n} is outside ${min}-${max}`);
  return n;
}

const daysInMonth = (date) => new Date(Date.UTC(date.getUTCFullYear(), date.getUTCMonth() + 1, 0)).getUTCDate();

/** The day of `date`'s month that `nW` / `LW` fire on, as saffron finds it: the nearest weekday, never in another month. */
function nearestWeekday(date, day) {
  const last = daysInMonth(date);
  if (day > last) return null;
  const weekday = new Date(Date.UTC(date.getUTCFullYear(), date.getUTCMonth(), day)).getUTCDay();
  if (weekday === 6) return day === 1 ? 3 : day - 1; // Saturday: the Friday before, or Monday the 3rd
  if (weekday === 0) return day === last ? day - 2 : day + 1; // Sunday: the Monday after, or the last Friday
  return day;
}

/** A predicate over UTC dates for one of Cloudflare's day extensions (each the whole field), or null for any other field. */
function dayExtension(text, field, expr) {
  let m;
  if (field.name === "day-of-month") {
    if (text === "L") return (d) => d.getUTCDate() === daysInMonth(d);
    if (text === "LW") return (d) => d.getUTCDate() === nearestWeekday(d, daysInMonth(d));
    if ((m = /^L-(\d{1,4})$/.exec(text))) {
      const offset = within(Number(m[1]), 1, 30, "day-of-month L-n offset", expr);
      return (d) => d.getUTCDate() === daysInMonth(d) - offset;
    }
    if ((m = /^(\d{1,4})W$/.exec(text))) {
      const day = value(m[1], field, expr);
      if (day > 27) throw new CronError(`cron ${JSON.stringify(expr)}: day-of-month '${text}': PyMode evaluates nW for days 1-27 only (Cloudflare also takes 28W-31W; on a month's last day cron-utils and Cloudflare differ)`);
      return (d) => d.getUTCDate() === nearestWeekday(d, day);
    }
    if (/^L-\d{1,4}W$/.test(text)) throw new CronError(`cron ${JSON.stringify(expr)}: day-of-month '${text}' (L-nW): Cloudflare takes it, PyMode does not evaluate it`);
  }
  if (field.name === "day-of-week") {
    if (text === "L") return (d) => d.getUTCDay() === 6; // Saturday, the week's last day (7)
    if ((m = /^([A-Za-z]{3}|\d{1,4})L$/.exec(text))) {
      const weekday = value(m[1], field, expr) - 1;
      return (d) => d.getUTCDay() === weekday && d.getUTCDate() + 7 > daysInMonth(d);
    }
    if ((m = /^([A-Za-z]{3}|\d{1,4})#(\d{1,4})$/.exec(text))) {
      const weekday = value(m[1], field, expr) - 1;
      const nth = within(Number(m[2]), 1, 5, "day-of-week #n", expr);
      return (d) => d.getUTCDay() === weekday && Math.floor((d.getUTCDate() - 1) / 7) + 1 === nth;
    }
  }
  return null;
}

/** A day field as a predicate over UTC dates: an extension, or values, ranges and steps over `numberOf(date)`. */
function parseDayField(text, field, expr, numberOf) {
  const extension = dayExtension(text, field, expr);
  if (extension) return { restricted: true, matches: extension };
  const { allowed, restricted } = parseField(text, field, expr);
  return { restricted, matches: (date) => allowed.has(numberOf(date)) };
}

/** Parses a cron expression; throws CronError naming the field at fault. */
export function parseCron(expr) {
  if (typeof expr !== "string") throw new CronError("cron must be a string");
  const parts = expr.trim().split(/\s+/);
  if (parts.length !== 5) throw new CronError(`cron ${JSON.stringify(expr)} must have 5 fields (minute hour day-of-month month day-of-week), got ${parts.length}`);
  const [minute, hour, month] = [0, 1, 3].map((i) => parseField(parts[i], FIELDS[i], expr));
  const dom = parseDayField(parts[2], FIELDS[2], expr, (date) => date.getUTCDate());
  const dow = parseDayField(parts[4], FIELDS[4], expr, (date) => date.getUTCDay() + 1); // Cloudflare's numbering: 1 = Sunday
  return {
    expr,
    /** Does the minute starting at `date` (UTC) fire? */
    matches(date) {
      if (!minute.allowed.has(date.getUTCMinutes()) || !hour.allowed.has(date.getUTCHours()) || !month.allowed.has(date.getUTCMonth() + 1)) return false;
      const domOk = dom.matches(date);
      const dowOk = dow.matches(date);
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

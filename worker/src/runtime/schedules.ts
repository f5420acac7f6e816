// Cron triggers → workflow runs (docs/abi.md §7, worker/README.md "Cron triggers").
//
// The operator deploys each scheduled PyModeWorkflow as a Cloudflare cron trigger on the worker's
// script and describes what each cron starts in the PYMODE_SCHEDULES var:
//   [{"cron": "*/5 * * * *", "workflow": "orders", "resource": "nightly-orders",
//     "input": {...}, "concurrency": "Forbid", "retry": {"retries": 3, "backoff": 1, "factor": 2}}]
// When Cloudflare fires a cron, the Worker's `scheduled` handler starts one run per entry with that
// cron through the same POST /workflow/run the operator uses for manual runs. The run id is
// "<resource>-<scheduled time in epoch seconds>", so a firing delivered twice starts one run.

export const SCHEDULES_VAR = "PYMODE_SCHEDULES";

export interface ScheduleEntry {
  cron: string;
  workflow: string;
  resource: string;
  input?: unknown;
  concurrency?: "Allow" | "Forbid" | "Replace";
  retry?: { retries?: number; backoff?: number; factor?: number };
}

export interface RunRequest {
  workflow: string;
  id: string;
  input: unknown;
  concurrency: string;
  retry?: ScheduleEntry["retry"];
  trigger: "Schedule";
}

const CONCURRENCY = new Set(["Allow", "Forbid", "Replace"]);

/** Parses and checks PYMODE_SCHEDULES; a malformed value is an error naming the entry and field. */
export function parseSchedules(raw: unknown): ScheduleEntry[] {
  if (raw === undefined || raw === null || raw === "") return [];
  if (typeof raw !== "string") throw new Error(`${SCHEDULES_VAR} must be a JSON string`);
  let value: unknown;
  try {
    value = JSON.parse(raw);
  } catch (e) {
    throw new Error(`${SCHEDULES_VAR} is not valid JSON: ${(e as Error).message}`);
  }
  if (!Array.isArray(value)) throw new Error(`${SCHEDULES_VAR} must be a JSON array`);
  return value.map((entry, i) => {
    const where = `${SCHEDULES_VAR}[${i}]`;
    if (!entry || typeof entry !== "object" || Array.isArray(entry)) throw new Error(`${where} must be an object`);
    for (const field of ["cron", "workflow", "resource"]) {
      if (typeof entry[field] !== "string" || entry[field] === "") throw new Error(`${where}.${field} must be a non-empty string`);
    }
    if (entry.concurrency !== undefined && !CONCURRENCY.has(entry.concurrency)) {
      throw new Error(`${where}.concurrency must be Allow, Forbid or Replace`);
    }
    if (entry.retry !== undefined && (typeof entry.retry !== "object" || entry.retry === null || Array.isArray(entry.retry))) {
      throw new Error(`${where}.retry must be an object`);
    }
    return entry as ScheduleEntry;
  });
}

/** The runs one firing of `cron` starts (entries match by their exact cron string, as Cloudflare reports it). */
export function runsForFiring(entries: ScheduleEntry[], cron: string, scheduledTime: number): RunRequest[] {
  const epochSeconds = Math.floor(scheduledTime / 1000);
  return entries
    .filter((e) => e.cron === cron)
    .map((e) => ({
      workflow: e.workflow,
      id: `${e.resource}-${epochSeconds}`,
      input: e.input ?? null,
      concurrency: e.concurrency ?? "Forbid",
      ...(e.retry ? { retry: e.retry } : {}),
      trigger: "Schedule" as const,
    }));
}

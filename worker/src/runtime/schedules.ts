// Cron triggers → workflow runs (docs/abi.md §7, worker/README.md "Cron triggers").
//
// The operator deploys each scheduled PyModeWorkflow as a Cloudflare cron trigger on the worker's
// script and describes what each cron starts in the PYMODE_SCHEDULES var:
//   [{"cron": "*/5 * * * *", "workflow": "orders", "resource": "nightly-orders",
//     "input": {...}, "concurrency": "Forbid", "retry": {"retries": 3, "backoff": 1, "factor": 2}}]
// When Cloudflare fires a cron, the Worker's `scheduled` handler starts one run per entry with that
// cron through the same POST /workflow/run the operator uses for manual runs. The run id is
// "<resource>-<scheduled time in epoch seconds>", so a firing delivered twice starts one run.
// The worker's own crons (PyModeWorker spec.crons) are entries {"cron", "handler": "scheduled"}:
// their firings go to the entry's Python scheduled handler (pymode.scheduled), as
// POST https://pymode.internal/__pymode/scheduled {"cron", "scheduledTime"}.

import { decodeHttpResponse, encodeHttpRequest } from "./frames";

export const SCHEDULES_VAR = "PYMODE_SCHEDULES";
export const SCHEDULED_URL = "https://pymode.internal/__pymode/scheduled";

export interface HandlerEntry {
  cron: string;
  handler: "scheduled";
}

export interface WorkflowEntry {
  cron: string;
  workflow: string;
  resource: string;
  input?: unknown;
  concurrency?: "Allow" | "Forbid" | "Replace";
  retry?: { retries?: number; backoff?: number; factor?: number };
}

export type ScheduleEntry = WorkflowEntry | HandlerEntry;

export interface RunRequest {
  workflow: string;
  id: string;
  input: unknown;
  concurrency: string;
  retry?: WorkflowEntry["retry"];
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
    if (entry.handler !== undefined) {
      if (entry.handler !== "scheduled") throw new Error(`${where}.handler must be "scheduled"`);
      if (typeof entry.cron !== "string" || entry.cron === "") throw new Error(`${where}.cron must be a non-empty string`);
      if (entry.workflow !== undefined) throw new Error(`${where} names a handler and a workflow; one entry starts one of them`);
      return entry as HandlerEntry;
    }
    for (const field of ["cron", "workflow", "resource"]) {
      if (typeof entry[field] !== "string" || entry[field] === "") throw new Error(`${where}.${field} must be a non-empty string`);
    }
    if (entry.concurrency !== undefined && !CONCURRENCY.has(entry.concurrency)) {
      throw new Error(`${where}.concurrency must be Allow, Forbid or Replace`);
    }
    if (entry.retry !== undefined && (typeof entry.retry !== "object" || entry.retry === null || Array.isArray(entry.retry))) {
      throw new Error(`${where}.retry must be an object`);
    }
    return entry as WorkflowEntry;
  });
}

function isWorkflowEntry(entry: ScheduleEntry): entry is WorkflowEntry {
  return (entry as HandlerEntry).handler === undefined;
}

/** Whether a firing of `cron` goes to the Python scheduled handler (the worker declared that cron). */
export function firesHandler(entries: ScheduleEntry[], cron: string): boolean {
  return entries.some((e) => !isWorkflowEntry(e) && e.cron === cron);
}

/** The firing as the request Python's scheduled route takes. */
export function scheduledEventFrames(cron: string, scheduledTime: number): Uint8Array {
  const body = new TextEncoder().encode(JSON.stringify({ cron, scheduledTime }));
  return encodeHttpRequest({ method: "POST", url: SCHEDULED_URL, headers: [["content-type", "application/json"]] }, body);
}

/** Deliver a firing to Python's scheduled handler through `handleFrames`; throws (→ the invocation fails) when
 * the handler failed, and applies its noRetry() to the controller. */
export async function deliverScheduledEvent(
  controller: { cron: string; scheduledTime: number; noRetry?: () => void },
  handleFrames: (f: Uint8Array) => Promise<Uint8Array>,
): Promise<void> {
  const { head, body } = decodeHttpResponse(await handleFrames(scheduledEventFrames(controller.cron, controller.scheduledTime)));
  const text = new TextDecoder().decode(body);
  if (head.status !== 200) throw new Error(`the Python scheduled handler answered ${head.status}: ${text.slice(0, 500)}`);
  let answer: { noRetry?: boolean };
  try {
    answer = JSON.parse(text);
  } catch (e) {
    throw new Error(`the Python scheduled handler's answer is not JSON: ${(e as Error).message}`);
  }
  if (answer.noRetry) controller.noRetry?.();
}

/** The runs one firing of `cron` starts (entries match by their exact cron string, as Cloudflare reports it). */
export function runsForFiring(entries: ScheduleEntry[], cron: string, scheduledTime: number): RunRequest[] {
  const epochSeconds = Math.floor(scheduledTime / 1000);
  return entries
    .filter(isWorkflowEntry)
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

// `pymode.parallel` fan-out (docs/abi.md §7): op `tasks` of the `http` import. Every payload
// becomes a task request (request frames POST https://pymode.internal/__pymode/thread) that a
// TaskRunner serves in its own Python instance (a ThreadDO in workerd, a fresh PythonInstance on
// the node host); at most `limit` run at once. The result lists each task's HTTP status and
// returns each task's response body as one blob, in task order.

import { HostError, OpResult, STATUS } from "./bindings";
import { decodeHttpResponse, encodeHttpRequest } from "./frames";

export const MAX_TASKS = 64;
export const MAX_CONCURRENCY = 32;
export const DEFAULT_CONCURRENCY = 6;
export const TASK_URL = "https://pymode.internal/__pymode/thread";

/** Serves one task: request frames in, response frames out. `slot` is in [0, limit). */
export type TaskRunner = (requestFrames: Uint8Array, slot: number) => Promise<Uint8Array>;

export interface TaskOutcome {
  status: number;
  error?: string;
}

export async function runTasks(args: any, blobs: Uint8Array[], runner: TaskRunner): Promise<OpResult> {
  const tasks = args?.tasks;
  if (!Array.isArray(tasks)) throw new HostError(STATUS.INVALID_ARGUMENT, 'tasks: "tasks" must be an array');
  if (tasks.length !== blobs.length) throw new HostError(STATUS.INVALID_ARGUMENT, `tasks lists ${tasks.length} entries but ${blobs.length} payloads were sent`);
  if (tasks.length === 0) throw new HostError(STATUS.INVALID_ARGUMENT, "tasks must not be empty");
  if (tasks.length > MAX_TASKS) throw new HostError(STATUS.LIMIT, `${tasks.length} tasks in one call; at most ${MAX_TASKS}`);
  const limit = args.limit ?? DEFAULT_CONCURRENCY;
  if (!Number.isInteger(limit) || limit < 1 || limit > MAX_CONCURRENCY) {
    throw new HostError(STATUS.LIMIT, `limit must be between 1 and ${MAX_CONCURRENCY}, got ${JSON.stringify(limit)}`);
  }
  const outcomes: TaskOutcome[] = new Array(blobs.length);
  const bodies: Uint8Array[] = new Array(blobs.length);
  let next = 0;
  const worker = async (slot: number) => {
    for (;;) {
      const i = next++;
      if (i >= blobs.length) return;
      const frames = encodeHttpRequest({ method: "POST", url: TASK_URL, headers: [["content-type", "application/octet-stream"]] }, blobs[i]!);
      try {
        const { head, body } = decodeHttpResponse(await runner(frames, slot));
        outcomes[i] = { status: head.status };
        bodies[i] = body;
      } catch (e) {
        outcomes[i] = { status: 503, error: `task runner failed: ${e instanceof Error ? `${e.name}: ${e.message}` : String(e)}` };
        bodies[i] = new Uint8Array(0);
      }
    }
  };
  await Promise.all(Array.from({ length: Math.min(limit, blobs.length) }, (_, slot) => worker(slot)));
  return { meta: { results: outcomes }, blobs: bodies };
}

/** The workerd runner: each concurrently running task in its own ThreadDO (a warm pool of `limit` objects). */
export interface TaskNamespace {
  idFromName(name: string): unknown;
  get(id: any): unknown;
}

export function threadDoRunner(ns: TaskNamespace): TaskRunner {
  return async (frames, slot) => {
    const stub = ns.get(ns.idFromName(`pymode-task-${slot}`)) as { handleFrames(f: Uint8Array): Promise<Uint8Array> };
    return new Uint8Array(await stub.handleFrames(frames));
  };
}

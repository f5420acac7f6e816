// The queue consumer path (docs/abi.md §7 "Queue consumer"): a batch Cloudflare (or workerd)
// delivers to the Worker's `queue` handler becomes `POST https://pymode.internal/__pymode/queue`
// with the batch as JSON, Python's `on_queue(batch, env)` answers with its ack/retry decisions, and
// the host applies them to the messages. A failed answer (5xx) throws, so Cloudflare retries the
// whole batch (then its dead-letter queue), as for any consumer that throws.

import { decodeHttpResponse, encodeHttpRequest } from "./frames";
import { toB64 } from "../bindings/kind";

export const QUEUE_URL = "https://pymode.internal/__pymode/queue";

/** The parts of Cloudflare's Message / MessageBatch the host uses. */
export interface QueueMessageLike {
  readonly id: string;
  readonly timestamp: Date;
  readonly attempts?: number;
  readonly body: unknown;
  ack(): void;
  retry(options?: { delaySeconds?: number }): void;
}
export interface QueueBatchLike {
  readonly queue: string;
  readonly messages: readonly QueueMessageLike[];
  ackAll(): void;
  retryAll(options?: { delaySeconds?: number }): void;
}

/** A message body as Python gets it: text (string), bytes (base64) or any other JSON value. */
function wireBody(body: unknown): { contentType: string; body: unknown } {
  if (typeof body === "string") return { contentType: "text", body };
  if (body instanceof ArrayBuffer) return { contentType: "bytes", body: toB64(new Uint8Array(body)) };
  if (ArrayBuffer.isView(body)) return { contentType: "bytes", body: toB64(new Uint8Array(body.buffer, body.byteOffset, body.byteLength)) };
  return { contentType: "json", body: body === undefined ? null : body };
}

export function queueBatchFrames(batch: QueueBatchLike): Uint8Array {
  const messages = batch.messages.map((m) => ({ id: m.id, timestamp: m.timestamp.getTime(), attempts: m.attempts ?? 1, ...wireBody(m.body) }));
  const body = new TextEncoder().encode(JSON.stringify({ queue: batch.queue, messages }));
  return encodeHttpRequest({ method: "POST", url: QUEUE_URL, headers: [["content-type", "application/json"]] }, body);
}

interface Decisions {
  acks?: string[];
  retries?: { id: string; delaySeconds?: number }[];
  ackAll?: boolean;
  retryAll?: { delaySeconds?: number };
}

/** Apply Python's answer to the batch; throws (→ the platform retries the batch) when Python failed. */
export function applyQueueAnswer(batch: QueueBatchLike, responseFrames: Uint8Array): void {
  const { head, body } = decodeHttpResponse(responseFrames);
  const text = new TextDecoder().decode(body);
  if (head.status !== 200) throw new Error(`queue ${batch.queue}: on_queue answered ${head.status}: ${text.slice(0, 500)}`);
  let d: Decisions;
  try {
    d = JSON.parse(text);
  } catch (e) {
    throw new Error(`queue ${batch.queue}: on_queue's answer is not JSON: ${(e as Error).message}`);
  }
  const byId = new Map(batch.messages.map((m) => [m.id, m]));
  for (const id of d.acks ?? []) byId.get(id)?.ack();
  for (const r of d.retries ?? []) byId.get(r.id)?.retry(r.delaySeconds === undefined ? undefined : { delaySeconds: r.delaySeconds });
  if (d.retryAll) batch.retryAll(d.retryAll.delaySeconds === undefined ? undefined : { delaySeconds: d.retryAll.delaySeconds });
  else if (d.ackAll) batch.ackAll();
}

/** Deliver a batch through `handleFrames` (a PythonDO stub or a PythonService) and apply the answer. */
export async function deliverQueueBatch(batch: QueueBatchLike, handleFrames: (f: Uint8Array) => Promise<Uint8Array>): Promise<void> {
  applyQueueAnswer(batch, await handleFrames(queueBatchFrames(batch)));
}

// Kind "queue": a Cloudflare Queues producer binding (docs/abi.md §3 Queue). A message body crosses
// the boundary as one blob plus its content type: "json" (UTF-8 JSON text, sent as the parsed
// value), "text" (UTF-8, sent as a string) or "bytes" (sent as bytes). Limits are Cloudflare's.

import { HostError, STATUS } from "../runtime/bindings";
import { DeclaredKind, bad } from "./kind";

/** Cloudflare Queues limits: 128 KB per message, 100 messages and 256 KB per sendBatch. */
export const QUEUE_MESSAGE_MAX_BYTES = 128 * 1024;
export const QUEUE_BATCH_MAX_MESSAGES = 100;
export const QUEUE_BATCH_MAX_BYTES = 256 * 1024;
const CONTENT_TYPES = new Set(["json", "text", "bytes"]);
const td = new TextDecoder("utf-8", { fatal: true, ignoreBOM: false });

function delay(v: unknown, op: string): number | undefined {
  if (v === undefined || v === null) return undefined;
  if (!Number.isInteger(v) || (v as number) < 0 || (v as number) > 43200) throw bad(`${op}: "delaySeconds" must be an integer 0..43200`);
  return v as number;
}

/** One message: its body as the queue API takes it, and its send options. */
function message(spec: any, blob: Uint8Array | undefined, op: string): { body: unknown; contentType: string; delaySeconds?: number } {
  if (blob === undefined) throw bad(`${op}: a message needs its body as a binary field`);
  if (blob.byteLength > QUEUE_MESSAGE_MAX_BYTES) throw new HostError(STATUS.LIMIT, `${op}: message of ${blob.byteLength} bytes; at most ${QUEUE_MESSAGE_MAX_BYTES}`);
  const contentType = spec?.contentType ?? "json";
  if (!CONTENT_TYPES.has(contentType)) throw bad(`${op}: "contentType" must be "json", "text" or "bytes", got ${JSON.stringify(contentType)}`);
  let body: unknown;
  if (contentType === "bytes") {
    body = blob.slice();
  } else {
    let text: string;
    try {
      text = td.decode(blob);
    } catch {
      throw bad(`${op}: a ${contentType} message body must be UTF-8`);
    }
    if (contentType === "text") body = text;
    else {
      try {
        body = JSON.parse(text);
      } catch (e) {
        throw bad(`${op}: a json message body is not JSON: ${(e as Error).message}`);
      }
    }
  }
  const out: { body: unknown; contentType: string; delaySeconds?: number } = { body, contentType };
  const d = delay(spec?.delaySeconds, op);
  if (d !== undefined) out.delaySeconds = d;
  return out;
}

function sendFailed(op: string, e: unknown): HostError {
  return e instanceof HostError ? e : new HostError(STATUS.IO, `${op}: ${e instanceof Error ? e.message : String(e)}`);
}

export const queue: DeclaredKind<any> = {
  name: "queue",
  scope: "declared",
  label: "queue producer",
  isBinding: (b) => typeof b?.send === "function" && typeof b?.sendBatch === "function",
  ops: {
    async send(q, args, blobs) {
      if (blobs.length !== 1) throw bad(`queue.send: exactly one message body, got ${blobs.length}`);
      const { body, ...opts } = message(args, blobs[0], "queue.send");
      try {
        await q.send(body, opts);
      } catch (e) {
        throw sendFailed("queue.send", e);
      }
      return { meta: null };
    },
    async sendBatch(q, args, blobs) {
      const specs = args?.messages;
      if (!Array.isArray(specs)) throw bad('queue.sendBatch: "messages" must be a list');
      if (specs.length !== blobs.length) throw bad(`queue.sendBatch: ${specs.length} messages but ${blobs.length} bodies`);
      if (specs.length === 0) throw bad("queue.sendBatch: no messages");
      if (specs.length > QUEUE_BATCH_MAX_MESSAGES) throw new HostError(STATUS.LIMIT, `queue.sendBatch: ${specs.length} messages; at most ${QUEUE_BATCH_MAX_MESSAGES}`);
      const total = blobs.reduce((n, b) => n + b.byteLength, 0);
      if (total > QUEUE_BATCH_MAX_BYTES) throw new HostError(STATUS.LIMIT, `queue.sendBatch: ${total} bytes; at most ${QUEUE_BATCH_MAX_BYTES}`);
      const messages = specs.map((s, i) => message(s, blobs[i], "queue.sendBatch"));
      const opts: Record<string, number> = {};
      const d = delay(args.delaySeconds, "queue.sendBatch");
      if (d !== undefined) opts.delaySeconds = d;
      try {
        await q.sendBatch(messages, opts);
      } catch (e) {
        throw sendFailed("queue.sendBatch", e);
      }
      return { meta: null };
    },
  },
};

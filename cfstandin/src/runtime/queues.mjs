// The stand-in's Queues broker: messages that scripts send through a queue producer binding
// (./workers/queue-producer.js) wait here, per queue, and go in batches to the queue's Worker
// consumer (the `queue` handler of the consumer script, run through ScriptRuntimes.queue), with
// Cloudflare's semantics: batch size and wait time of the consumer's settings, explicit and
// implicit acks, retries (attempts + 1, retry_delay or the retry's delaySeconds) up to max_retries,
// then the dead-letter queue, or dropped with a log line. Messages are kept in memory: they do not
// survive a restart of the stand-in (README "Limits").
import { randomUUID } from "node:crypto";
import { findQueueByName } from "../api/queues.mjs";

const MESSAGE_MAX_BYTES = 128 * 1024;

export class QueueBroker {
  /**
   * @param {object} o
   * @param {import("../state.mjs").StateStore} o.store
   * @param {(accountId: string, script: string, queue: string, messages: object[]) => Promise<object>} o.deliver
   *   runs the consumer script's queue handler; resolves to workerd's FetcherQueueResult
   * @param {(line: string) => void} o.log
   */
  constructor({ store, deliver, log }) {
    Object.assign(this, { store, deliver, log });
    this.queues = new Map(); // "<account>/<queue>" → {messages: [], timer, running}
    this.counters = { sent: 0, delivered: 0, acked: 0, retried: 0, dead_lettered: 0, dropped: 0 };
    this.closed = false;
  }

  #state(accountId, name) {
    const key = `${accountId}/${name}`;
    let s = this.queues.get(key);
    if (!s) {
      s = { accountId, name, messages: [], timer: null, running: false };
      this.queues.set(key, s);
    }
    return s;
  }

  #queue(accountId, name) {
    const account = this.store.accounts.get(accountId);
    return account ? findQueueByName(account, name) : null;
  }

  /** What a producer binding sent: `{queue, messages: [{contentType, body, delaySeconds?}]}`. */
  async handleSend(accountId, request) {
    let payload;
    try {
      payload = await request.json();
    } catch {
      return new Response("cfstandin broker: the body is not JSON", { status: 400 });
    }
    try {
      this.send(accountId, payload.queue, payload.messages);
    } catch (e) {
      return new Response(e.message, { status: 400 });
    }
    return new Response(null, { status: 204 });
  }

  send(accountId, queueName, messages) {
    if (!this.#queue(accountId, queueName)) throw new Error(`queue ${queueName} does not exist in account ${accountId}`);
    if (!Array.isArray(messages) || messages.length === 0) throw new Error("no messages");
    const now = Date.now();
    const decoded = messages.map((m) => {
      const body = m.contentType === "bytes" ? new Uint8Array(Buffer.from(m.body, "base64")) : m.body;
      const size = m.contentType === "bytes" ? body.byteLength : Buffer.byteLength(JSON.stringify(m.body));
      if (size > MESSAGE_MAX_BYTES) throw new Error(`message of ${size} bytes; at most ${MESSAGE_MAX_BYTES}`);
      return { id: randomUUID().replace(/-/g, ""), timestamp: now, attempts: 1, body, readyAt: now + (m.delaySeconds ?? 0) * 1000 };
    });
    const s = this.#state(accountId, queueName);
    s.messages.push(...decoded);
    this.counters.sent += decoded.length;
    this.kick(accountId, queueName);
  }

  /** Look at the queue again (messages arrived, a consumer was attached or changed). */
  kick(accountId, queueName) {
    const s = this.#state(accountId, queueName);
    if (this.closed || s.running || s.messages.length === 0) return;
    const consumer = this.#queue(accountId, queueName)?.consumers.find((c) => c.type === "worker");
    if (!consumer) return; // kept until a consumer is attached
    const now = Date.now();
    const ready = s.messages.filter((m) => m.readyAt <= now);
    const { batch_size: size, max_wait_time_ms: wait } = consumer.settings;
    let at;
    if (ready.length >= size) at = now;
    else if (ready.length > 0) at = Math.min(...ready.map((m) => m.readyAt)) + wait;
    else at = Math.min(...s.messages.map((m) => m.readyAt));
    clearTimeout(s.timer);
    s.timer = setTimeout(() => this.#deliver(s, consumer), Math.max(0, at - now));
    s.timer.unref?.();
  }

  async #deliver(s, consumer) {
    s.timer = null;
    if (this.closed) return;
    s.running = true;
    try {
      const now = Date.now();
      const batch = s.messages.filter((m) => m.readyAt <= now).slice(0, consumer.settings.batch_size);
      if (batch.length === 0) return;
      const ids = new Set(batch.map((m) => m.id));
      s.messages = s.messages.filter((m) => !ids.has(m.id));
      let result;
      try {
        result = await this.deliver(s.accountId, consumer.script, s.name, batch.map(({ id, timestamp, attempts, body }) => ({ id, timestamp: new Date(timestamp), attempts, body })));
      } catch (e) {
        this.log(`queue ${s.name}: delivery to ${consumer.script} failed: ${e.message}`);
        result = { outcome: "exception", explicitAcks: [], retryMessages: [], ackAll: false, retryBatch: { retry: false } };
      }
      this.counters.delivered += batch.length;
      this.#settle(s, consumer, batch, result);
    } finally {
      s.running = false;
      this.kick(s.accountId, s.name);
    }
  }

  /** Cloudflare's rules: a failed invocation retries the whole batch; otherwise what was not retried is acked. */
  #settle(s, consumer, batch, r) {
    const acked = new Set(r.explicitAcks ?? []);
    const retries = new Map((r.retryMessages ?? []).map((m) => [m.msgId, m.delaySeconds]));
    for (const m of batch) {
      let retry;
      if (r.outcome !== "ok") retry = { delaySeconds: undefined };
      else if (acked.has(m.id) || (r.ackAll && !retries.has(m.id))) retry = null;
      else if (retries.has(m.id)) retry = { delaySeconds: retries.get(m.id) };
      else if (r.retryBatch?.retry) retry = { delaySeconds: r.retryBatch.delaySeconds };
      else retry = null;
      if (!retry) {
        this.counters.acked++;
        continue;
      }
      if (m.attempts > consumer.settings.max_retries) {
        const dlq = consumer.dead_letter_queue;
        if (dlq && this.#queue(s.accountId, dlq)) {
          this.#state(s.accountId, dlq).messages.push({ ...m, id: randomUUID().replace(/-/g, ""), attempts: 1, readyAt: Date.now() });
          this.counters.dead_lettered++;
          this.log(`queue ${s.name}: message ${m.id} failed ${m.attempts} times; moved to ${dlq}`);
          this.kick(s.accountId, dlq);
        } else {
          this.counters.dropped++;
          this.log(`queue ${s.name}: message ${m.id} failed ${m.attempts} times and has no dead-letter queue; dropped`);
        }
        continue;
      }
      const delay = retry.delaySeconds ?? consumer.settings.retry_delay ?? 0;
      s.messages.push({ ...m, attempts: m.attempts + 1, readyAt: Date.now() + delay * 1000 });
      this.counters.retried++;
    }
  }

  /** The queue was deleted: its messages go with it. */
  dropQueue(accountId, name) {
    const key = `${accountId}/${name}`;
    const s = this.queues.get(key);
    if (s) clearTimeout(s.timer);
    this.queues.delete(key);
  }

  stats() {
    const backlog = {};
    for (const s of this.queues.values()) if (s.messages.length) backlog[`${s.accountId}/${s.name}`] = s.messages.length;
    return { ...this.counters, backlog };
  }

  close() {
    this.closed = true;
    for (const s of this.queues.values()) clearTimeout(s.timer);
  }
}

// Queues and service bindings: the Queues API (validated against the extension operations), and
// scripts that send to a queue, consume it in workerd (acks, retries, dead-letter queue) and call
// each other through service bindings, each script in its own runtime.
import assert from "node:assert/strict";
import { after, before, describe, it } from "node:test";
import { ACCOUNT, start, uploadForm, waitFor } from "./helpers.mjs";

const A = `/accounts/${ACCOUNT}`;

const CONSUMER = `export default {
  async fetch(request, env) {
    const u = new URL(request.url);
    return new Response("consumer got " + request.method + " " + u.pathname + " " + (await request.text()), { headers: { "x-served-by": "consumer" } });
  },
  async queue(batch, env) {
    for (const m of batch.messages) {
      const body = m.body instanceof Uint8Array || m.body instanceof ArrayBuffer ? "bytes:" + new TextDecoder().decode(m.body) : typeof m.body === "string" ? "text:" + m.body : "json:" + JSON.stringify(m.body);
      if (body === "text:fail-once" && m.attempts === 1) { m.retry(); continue; }
      if (body === "text:always-fail") { m.retry(); continue; }
      await env.KV.put(batch.queue + "|" + body, String(m.attempts));
      m.ack();
    }
  },
};`;

const PRODUCER = `export default {
  async fetch(request, env) {
    const u = new URL(request.url);
    if (u.pathname === "/send") {
      await env.JOBS.send({ n: 1 });
      await env.JOBS.sendBatch([{ body: "plain" }, { body: new TextEncoder().encode("raw") }, { body: "fail-once" }, { body: "always-fail" }]);
      return new Response("sent");
    }
    if (u.pathname === "/call") return env.OTHER.fetch("https://other.internal/hello?x=1", { method: "POST", body: "ping" });
    return new Response("producer");
  },
};`;

const js = (data) => [{ name: "index.js", type: "application/javascript+module", data }];

let s;
let ns;
before(async () => {
  s = await start();
  ns = (await s.api("POST", `${A}/storage/kv/namespaces`, { json: { title: "queue-results" } })).data.result.id;
});
after(() => s.standin.close());

describe("Queues API", () => {
  it("create, list with consumers, conflicts and validation", async () => {
    const made = await s.api("POST", `${A}/queues`, { json: { queue_name: "api-q" } });
    assert.equal(made.status, 200, made.text);
    assert.equal(made.data.result.queue_name, "api-q");
    assert.equal((await s.api("POST", `${A}/queues`, { json: { queue_name: "api-q" } })).status, 409);
    assert.equal((await s.api("POST", `${A}/queues`, { json: { queue_name: "Not_Valid" } })).status, 400);
    const list = await s.api("GET", `${A}/queues?page=1&per_page=50`);
    assert.deepEqual(list.data.result.map((q) => q.queue_name), ["api-q"]);
    assert.equal(list.data.result_info.total_count, 1);
    const id = made.data.result.queue_id;
    const noScript = await s.api("POST", `${A}/queues/${id}/consumers`, { json: { script_name: "nope", type: "worker" } });
    assert.equal(noScript.status, 404);
    const badSettings = await s.api("POST", `${A}/queues/${id}/consumers`, { json: { script_name: "nope", type: "worker", settings: { batch_size: 500 } } });
    assert.equal(badSettings.status, 400, "batch_size over 100 fails schema validation");
    assert.equal((await s.api("DELETE", `${A}/queues/${id}`)).status, 200);
    assert.equal((await s.api("GET", `${A}/queues/${id}`)).status, 404);
  });
});

describe("producer → broker → consumer in workerd; service bindings", () => {
  let jobs;
  it("deploys a consumer and a producer bound to the queue and to the consumer script", async () => {
    jobs = (await s.api("POST", `${A}/queues`, { json: { queue_name: "jobs" } })).data.result.queue_id;
    await s.api("POST", `${A}/queues`, { json: { queue_name: "jobs-dlq" } });
    const c = await s.api("PUT", `${A}/workers/scripts/consumer`, {
      body: uploadForm({ main_module: "index.js", compatibility_date: "2025-04-01", bindings: [{ name: "KV", type: "kv_namespace", namespace_id: ns }] }, js(CONSUMER)),
    });
    assert.equal(c.status, 200, c.text);
    const p = await s.api("PUT", `${A}/workers/scripts/producer`, {
      body: uploadForm({
        main_module: "index.js",
        compatibility_date: "2025-04-01",
        bindings: [{ name: "JOBS", type: "queue", queue_name: "jobs" }, { name: "OTHER", type: "service", service: "consumer" }],
      }, js(PRODUCER)),
    });
    assert.equal(p.status, 200, p.text);
    const entry = await s.api("PUT", `${A}/workers/scripts/producer`, {
      body: uploadForm({ main_module: "index.js", compatibility_date: "2025-04-01", bindings: [{ name: "OTHER", type: "service", service: "consumer", entrypoint: "Admin" }] }, js(PRODUCER)),
    });
    assert.equal(entry.status, 400, "named entrypoints are refused clearly");
    assert.match(entry.text, /entrypoints of service bindings are not supported/);
  });

  it("a service binding reaches the other script", async () => {
    const r = await fetch(new URL("/call", s.standin.runtimes.url(ACCOUNT, "producer")));
    assert.equal(r.status, 200);
    assert.equal(await r.text(), "consumer got POST /hello ping");
    assert.equal(r.headers.get("x-served-by"), "consumer");
  });

  it("messages wait for a consumer, then arrive in batches; retries count attempts; exhausted ones go to the DLQ", async () => {
    assert.equal(await (await fetch(new URL("/send", s.standin.runtimes.url(ACCOUNT, "producer")))).text(), "sent");
    assert.deepEqual((await (await fetch(`${s.standin.url}/__standin/queues`)).json()).backlog, { [`${ACCOUNT}/jobs`]: 5 });
    const consumer = await s.api("POST", `${A}/queues/${jobs}/consumers`, {
      json: { script_name: "consumer", type: "worker", dead_letter_queue: "jobs-dlq", settings: { batch_size: 10, max_retries: 2, max_wait_time_ms: 50 } },
    });
    assert.equal(consumer.status, 200, consumer.text);
    assert.equal(consumer.data.result.script, "consumer");
    const second = await s.api("POST", `${A}/queues/${jobs}/consumers`, { json: { script_name: "producer", type: "worker" } });
    assert.equal(second.status, 409, "one Worker consumer per queue");
    const listed = (await s.api("GET", `${A}/queues`)).data.result.find((q) => q.queue_name === "jobs");
    assert.equal(listed.consumers[0].settings.max_retries, 2);
    const get = async (key) => {
      const r = await s.api("GET", `${A}/storage/kv/namespaces/${ns}/values/${encodeURIComponent(key)}`);
      return r.status === 200 ? r.text : null;
    };
    const want = { 'jobs|json:{"n":1}': "1", "jobs|text:plain": "1", "jobs|bytes:raw": "1", "jobs|text:fail-once": "2" };
    await waitFor(async () => (await Promise.all(Object.keys(want).map(get))).every((v) => v !== null), { timeout: 20000 });
    for (const [k, v] of Object.entries(want)) assert.equal(await get(k), v, k);
    const stats = await waitFor(async () => {
      const st = await (await fetch(`${s.standin.url}/__standin/queues`)).json();
      return st.dead_lettered === 1 ? st : null;
    }, { timeout: 20000 });
    assert.equal(stats.retried, 3, "fail-once once, always-fail twice (max_retries 2)");
    // the DLQ has no consumer: the message waits there
    assert.deepEqual(stats.backlog, { [`${ACCOUNT}/jobs-dlq`]: 1 });
  });
});

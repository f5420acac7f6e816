// Cloudflare Queues (account state): queues and their Worker consumers. Messages live in the
// stand-in's broker (../runtime/queues.mjs), which delivers them to the consumer script's `queue`
// handler in workerd.
import { randomUUID } from "node:crypto";
import { badRequest, CfError, CODES, notFound, paginate } from "../envelope.mjs";

const id = () => randomUUID().replace(/-/g, "");

export function queuesOf(account) {
  account.queues ??= {};
  return account.queues;
}

function getQueue(account, queueId) {
  const q = queuesOf(account)[queueId];
  if (!q) throw notFound("Queue does not exist");
  return q;
}

export function findQueueByName(account, name) {
  return Object.values(queuesOf(account)).find((q) => q.queue_name === name) ?? null;
}

function view(q) {
  return { ...q, consumers_total_count: q.consumers.length, producers_total_count: q.producers?.length ?? 0 };
}

function listQueues({ account, query }) {
  const items = Object.values(queuesOf(account)).sort((a, b) => a.created_on.localeCompare(b.created_on)).map(view);
  return paginate(items, query, { defaultPerPage: 100 });
}

function createQueue({ account, body, standin }) {
  const { queue_name } = body.json;
  if (findQueueByName(account, queue_name)) throw new CfError(409, CODES.CONFLICT, `A queue with name ${queue_name} already exists`);
  const t = new Date().toISOString();
  const q = { queue_id: id(), queue_name, created_on: t, modified_on: t, producers: [], consumers: [], settings: { delivery_delay: 0 } };
  queuesOf(account)[q.queue_id] = q;
  standin.store.save(account.id);
  return { result: view(q) };
}

function getOne({ account, params }) {
  return { result: view(getQueue(account, params.queue_id)) };
}

function deleteQueue({ account, params, standin }) {
  const q = getQueue(account, params.queue_id);
  delete queuesOf(account)[params.queue_id];
  standin.queues.dropQueue(account.id, q.queue_name);
  standin.store.save(account.id);
  return { result: null };
}

function consumerFrom(body, queue, consumerId, created) {
  const s = body.settings ?? {};
  for (const [k, v] of Object.entries(s)) if (!Number.isInteger(v)) throw badRequest(`settings.${k} must be an integer`);
  if (body.dead_letter_queue === queue.queue_name) throw badRequest("the dead letter queue must be another queue");
  return {
    consumer_id: consumerId,
    type: "worker",
    script: body.script_name,
    queue_name: queue.queue_name,
    created_on: created,
    ...(body.dead_letter_queue ? { dead_letter_queue: body.dead_letter_queue } : {}),
    settings: {
      batch_size: s.batch_size ?? 10,
      max_retries: s.max_retries ?? 3,
      max_wait_time_ms: s.max_wait_time_ms ?? 5000,
      retry_delay: s.retry_delay ?? 0,
      ...(s.max_concurrency !== undefined ? { max_concurrency: s.max_concurrency } : {}),
    },
  };
}

function checkScript(account, script) {
  if (!account.scripts[script]) throw new CfError(404, CODES.NOT_FOUND, `Worker ${script} does not exist on your account; deploy it before attaching it as a consumer`);
}

function createConsumer({ account, params, body, standin }) {
  const q = getQueue(account, params.queue_id);
  checkScript(account, body.json.script_name);
  if (q.consumers.some((c) => c.type === "worker")) throw new CfError(409, CODES.CONFLICT, `queue ${q.queue_name} already has a Worker consumer (${q.consumers[0].script})`);
  const c = consumerFrom(body.json, q, id(), new Date().toISOString());
  q.consumers.push(c);
  q.modified_on = c.created_on;
  standin.store.save(account.id);
  standin.queues.kick(account.id, q.queue_name);
  return { result: c };
}

function updateConsumer({ account, params, body, standin }) {
  const q = getQueue(account, params.queue_id);
  const i = q.consumers.findIndex((c) => c.consumer_id === params.consumer_id);
  if (i < 0) throw notFound("Consumer does not exist");
  checkScript(account, body.json.script_name);
  q.consumers[i] = consumerFrom(body.json, q, params.consumer_id, q.consumers[i].created_on);
  q.modified_on = new Date().toISOString();
  standin.store.save(account.id);
  standin.queues.kick(account.id, q.queue_name);
  return { result: q.consumers[i] };
}

function deleteConsumer({ account, params, standin }) {
  const q = getQueue(account, params.queue_id);
  const before = q.consumers.length;
  q.consumers = q.consumers.filter((c) => c.consumer_id !== params.consumer_id);
  if (q.consumers.length === before) throw notFound("Consumer does not exist");
  q.modified_on = new Date().toISOString();
  standin.store.save(account.id);
  return { result: null };
}

export const queues = {
  "queues-list": listQueues,
  "queues-create": createQueue,
  "queues-get": getOne,
  "queues-delete": deleteQueue,
  "queues-create-consumer": createConsumer,
  "queues-update-consumer": updateConsumer,
  "queues-delete-consumer": deleteConsumer,
};

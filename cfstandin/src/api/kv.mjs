// KV namespaces (account state) and their keys/values (stored in the storage hub, so scripts see them).
import { randomUUID } from "node:crypto";
import { badRequest, CfError, CODES, notFound, paginate } from "../envelope.mjs";

function namespace(account, id) {
  const ns = account.kv[id];
  if (!ns) throw notFound("namespace not found");
  return ns;
}

function listNamespaces({ account, query }) {
  const order = query.get("order") ?? "id";
  const dir = query.get("direction") === "desc" ? -1 : 1;
  const items = Object.values(account.kv)
    .map(({ id, title, supports_url_encoding }) => ({ id, title, supports_url_encoding }))
    .sort((a, b) => dir * String(a[order]).localeCompare(String(b[order])));
  return paginate(items, query, { defaultPerPage: 20 });
}

function createNamespace({ account, body, standin }) {
  const { title } = body.json;
  if (Object.values(account.kv).some((n) => n.title === title)) throw new CfError(400, CODES.CONFLICT, "a namespace with this account ID and title already exists");
  const ns = { id: randomUUID().replace(/-/g, ""), title, supports_url_encoding: true, created_on: new Date().toISOString() };
  account.kv[ns.id] = ns;
  standin.store.save(account.id);
  return { result: { id: ns.id, title, supports_url_encoding: true } };
}

function getNamespace({ account, params }) {
  const { id, title, supports_url_encoding } = namespace(account, params.namespace_id);
  return { result: { id, title, supports_url_encoding } };
}

function deleteNamespace({ account, params, standin }) {
  namespace(account, params.namespace_id);
  delete account.kv[params.namespace_id];
  standin.store.save(account.id);
  return { result: null };
}

async function listKeys({ account, params, query, standin }) {
  namespace(account, params.namespace_id);
  const kv = await standin.hub.kv(params.namespace_id);
  const limit = Number(query.get("limit") ?? 1000);
  const out = await kv.list({ prefix: query.get("prefix") ?? undefined, cursor: query.get("cursor") || undefined, limit });
  const result = out.keys.map((k) => ({ name: k.name, ...(k.expiration ? { expiration: k.expiration } : {}), ...(k.metadata !== undefined && k.metadata !== null ? { metadata: k.metadata } : {}) }));
  return { result, resultInfo: { count: result.length, cursor: out.list_complete ? "" : out.cursor } };
}

async function readValue({ account, params, standin }) {
  namespace(account, params.namespace_id);
  const kv = await standin.hub.kv(params.namespace_id);
  const { value } = await kv.getWithMetadata(params.key_name, { type: "arrayBuffer" });
  if (value === null) throw new CfError(404, CODES.NOT_FOUND, "get: 'key not found'");
  return { raw: { status: 200, headers: { "content-type": "application/octet-stream" }, body: Buffer.from(value) } };
}

async function writeValue({ account, params, query, body, standin }) {
  namespace(account, params.namespace_id);
  const value = body.multipart.parts.find((p) => p.name === "value");
  let metadata;
  try {
    metadata = JSON.parse(body.multipart.fields.metadata);
  } catch {
    throw badRequest("metadata must be a JSON string");
  }
  const options = { metadata };
  if (query.has("expiration")) options.expiration = Number(query.get("expiration"));
  if (query.has("expiration_ttl")) options.expirationTtl = Number(query.get("expiration_ttl"));
  const kv = await standin.hub.kv(params.namespace_id);
  try {
    await kv.put(params.key_name, new Uint8Array(value.data), options);
  } catch (e) {
    throw badRequest(e.message);
  }
  return { result: null };
}

async function deleteValue({ account, params, standin }) {
  namespace(account, params.namespace_id);
  const kv = await standin.hub.kv(params.namespace_id);
  await kv.delete(params.key_name);
  return { result: null };
}

export const kv = {
  "workers-kv-namespace-list-namespaces": listNamespaces,
  "workers-kv-namespace-create-a-namespace": createNamespace,
  "workers-kv-namespace-get-a-namespace": getNamespace,
  "workers-kv-namespace-remove-a-namespace": deleteNamespace,
  "workers-kv-namespace-list-a-namespace'-s-keys": listKeys,
  "workers-kv-namespace-read-key-value-pair": readValue,
  "workers-kv-namespace-write-key-value-pair-with-metadata": writeValue,
  "workers-kv-namespace-delete-key-value-pair": deleteValue,
};

// D1 databases (account state; data lives in the storage hub, the same database the scripts use).
import { randomUUID } from "node:crypto";
import { badRequest, CfError, CODES, paginate } from "../envelope.mjs";

const view = ({ uuid, name, version, created_at }) => ({ uuid, name, version, created_at });

function database(account, id) {
  const db = account.d1[id];
  if (!db) throw new CfError(404, CODES.NOT_FOUND, "The database could not be found");
  return db;
}

/** Split SQL into statements at top-level semicolons (quotes and comments respected). */
export function splitStatements(sql) {
  const out = [];
  let cur = "";
  for (let i = 0; i < sql.length; i++) {
    const c = sql[i];
    if (c === "'" || c === '"' || c === "`") {
      const end = sql.indexOf(c, i + 1);
      const stop = end < 0 ? sql.length : end;
      cur += sql.slice(i, stop + 1);
      i = stop;
    } else if (c === "-" && sql[i + 1] === "-") {
      const end = sql.indexOf("\n", i);
      i = end < 0 ? sql.length : end;
    } else if (c === ";") {
      if (cur.trim()) out.push(cur.trim());
      cur = "";
    } else cur += c;
  }
  if (cur.trim()) out.push(cur.trim());
  return out;
}

function listDatabases({ account, query }) {
  let items = Object.values(account.d1).map(view);
  if (query.has("name")) items = items.filter((d) => d.name === query.get("name"));
  return paginate(items, query, { defaultPerPage: 1000 });
}

function createDatabase({ account, body, standin }) {
  const { name } = body.json;
  if (Object.values(account.d1).some((d) => d.name === name)) throw new CfError(400, CODES.CONFLICT, `A database with that name already exists`);
  const db = { uuid: randomUUID(), name, version: "production", created_at: new Date().toISOString() };
  account.d1[db.uuid] = db;
  standin.store.save(account.id);
  return { result: view(db) };
}

function getDatabase({ account, params }) {
  return { result: view(database(account, params.database_id)) };
}

function deleteDatabase({ account, params, standin }) {
  database(account, params.database_id);
  delete account.d1[params.database_id];
  standin.store.save(account.id);
  return { result: null };
}

async function query({ account, params, body, standin }) {
  database(account, params.database_id);
  const { sql, params: args = [] } = body.json;
  const db = await standin.hub.d1(params.database_id);
  const statements = args.length ? [sql] : splitStatements(sql);
  if (!statements.length) throw badRequest("sql has no statement");
  try {
    const results = await db.batch(statements.map((s, i) => (args.length && i === 0 ? db.prepare(s).bind(...args) : db.prepare(s))));
    return { result: results.map((r) => ({ results: r.results ?? [], success: r.success, meta: r.meta })) };
  } catch (e) {
    throw new CfError(400, 7500, `${e.message}: SQLITE_ERROR`);
  }
}

export const d1 = {
  "cloudflare-d1-list-databases": listDatabases,
  "cloudflare-d1-create-database": createDatabase,
  "cloudflare-d1-get-database": getDatabase,
  "cloudflare-d1-delete-database": deleteDatabase,
  "cloudflare-d1-query-database": query,
};

// The stand-in's HTTP front: /client/v4 (the Cloudflare API), /__standin (admin), and traffic for
// deployed scripts by Host header (<script>.<subdomain>.workers.dev, or a zone route pattern).
//
// API pipeline: fault injection → operation match (404 7003 when the OpenAPI file has no such
// path+method) → auth → parameter validation → body parsing + validation → handler → envelope.
import { createHash } from "node:crypto";
import http from "node:http";
import { fileURLToPath } from "node:url";
import { handlers, preprocessors } from "./api/index.mjs";
import { uploadSession } from "./api/assets.mjs";
import { CfError, CODES, failure, success } from "./envelope.mjs";
import { Faults } from "./faults.mjs";
import { parseMultipart } from "./multipart.mjs";
import { OpenApi } from "./openapi.mjs";
import { redact, RequestLog } from "./requestlog.mjs";
import { StorageHub } from "./runtime/hub.mjs";
import { POOL_DEFAULTS } from "./runtime/pool.mjs";
import { ScriptRuntimes } from "./runtime/scripts.mjs";
import { QueueBroker } from "./runtime/queues.mjs";
import { CronScheduler } from "./runtime/scheduler.mjs";
import { routeMatches } from "./api/zones.mjs";
import { StateStore } from "./state.mjs";

const API_PREFIX = "/client/v4";
const MAX_BODY = 256 * 1024 * 1024;
export const DEFAULT_SPEC = {
  official: process.env.CFSTANDIN_OPENAPI ?? fileURLToPath(new URL("../spec/cloudflare-workers-openapi.json", import.meta.url)),
  extensions: fileURLToPath(new URL("../spec/standin-extensions.json", import.meta.url)),
};

/** A token's public id (what /tokens/verify reports): never the token itself. */
export const tokenId = (token) => createHash("sha256").update(token).digest("hex").slice(0, 32);

function readBody(req) {
  return new Promise((resolve, reject) => {
    const chunks = [];
    let size = 0;
    req.on("data", (c) => {
      size += c.length;
      if (size > MAX_BODY) reject(new CfError(413, CODES.BAD_REQUEST, "request body too large"));
      else chunks.push(c);
    });
    req.on("end", () => resolve(Buffer.concat(chunks)));
    req.on("error", reject);
  });
}

function sendJson(res, status, body, headers = {}) {
  res.writeHead(status, { "content-type": "application/json", ...headers }).end(JSON.stringify(body));
}

/**
 * @param {object} o
 * @param {string} o.stateDir
 * @param {{id: string, tokens: string[], subdomain?: string, zones?: string[]}[]} o.accounts
 * @param {number} [o.port] public port (0 = any)
 * @param {(line: string) => void} [o.log]
 * @param {number} [o.maxRuntimes] at most this many script runtimes (workerd) at once, least recently
 *   used stopped first; 0 = no limit
 * @param {number} [o.idleStopMs] stop a script runtime unused this long; 0 = never
 */
export async function startStandin({
  stateDir,
  accounts,
  port = 0,
  log = (l) => console.log(l),
  spec = DEFAULT_SPEC,
  maxRuntimes = POOL_DEFAULTS.maxRunning,
  idleStopMs = POOL_DEFAULTS.idleMs,
  assetTokenTtlMs,
}) {
  const t0 = performance.now();
  const api = new OpenApi(spec);
  const store = new StateStore(stateDir);
  for (const a of accounts) {
    const doc = store.ensureAccount(a.id, a.subdomain ?? "cfstandin");
    for (const name of a.zones ?? []) {
      const id = createHash("sha256").update(`${a.id}/${name}`).digest("hex").slice(0, 32);
      doc.zones[id] ??= { id, name, status: "active", account: { id: a.id }, created_on: new Date().toISOString() };
    }
    store.save(a.id);
  }
  const tokens = new Map(); // token → account ids
  for (const a of accounts) for (const t of a.tokens) tokens.set(t, [...(tokens.get(t) ?? []), a.id]);

  const hub = new StorageHub({ store, log });
  await hub.start();
  // the broker delivers through the runtimes, and the runtimes' producer bindings send to the broker
  let runtimes;
  const queues = new QueueBroker({ store, log, deliver: (accountId, script, queue, messages) => runtimes.queue(accountId, script, queue, messages) });
  runtimes = new ScriptRuntimes({ store, hub, log, maxRunning: maxRuntimes, idleMs: idleStopMs, broker: queues });
  const faults = new Faults();
  const requests = new RequestLog();
  const standin = { store, hub, runtimes, queues, log, tokens, assetTokenTtlMs };
  const cron = new CronScheduler({ store, runtimes, log });

  // Every script that had an active deployment before the restart gets its per-script URL back;
  // its runtime starts on its first request or cron firing.
  for (const [accountId, doc] of store.accounts) {
    for (const [name, script] of Object.entries(doc.scripts)) if (script.deployments.length) await runtimes.attach(accountId, name);
  }

  cron.start();

  /** Account and token checks. Returns the account document the call may touch (or null). */
  function authorize(req, op, pathParams, query) {
    const header = req.headers.authorization;
    if (!header && (req.headers["x-auth-key"] || req.headers["x-auth-email"])) {
      throw new CfError(403, CODES.AUTH, "Authentication error: cfstandin accepts API tokens (Authorization: Bearer) only");
    }
    const m = /^Bearer\s+(\S+)$/i.exec(header ?? "");
    if (op.security?.some((s) => "assets_jwt" in s)) {
      // the assets upload is authorised by its session's token, not by an API token
      if (!m) throw new CfError(401, CODES.AUTH, "Authentication error");
      const account = store.accounts.get(pathParams.account_id);
      return { token: null, allowed: account ? [account.id] : [], account, assetsSession: uploadSession(account, m[1]), assetsToken: m[1] };
    }
    const isVerify = op.operationId === "user-api-tokens-verify-token";
    if (!m || !tokens.has(m[1])) {
      if (isVerify) throw new CfError(401, CODES.TOKEN_INVALID, "Invalid API Token");
      throw new CfError(m ? 403 : 401, CODES.AUTH, "Authentication error");
    }
    const allowed = tokens.get(m[1]);
    let accountId = pathParams.account_id ?? null;
    if (!accountId && pathParams.zone_id) {
      accountId = [...store.accounts.values()].find((a) => a.zones[pathParams.zone_id])?.id;
      if (!accountId || !allowed.includes(accountId)) throw new CfError(404, CODES.NOT_FOUND, "Zone not found"); // invisible to this token
    }
    if (accountId && !allowed.includes(accountId)) throw new CfError(403, CODES.AUTH, "Authentication error");
    return { token: m[1], allowed, account: accountId ? store.accounts.get(accountId) : null };
  }

  /** Parse and validate the body per the operation's requestBody. */
  function parseBody(op, req, raw, auth, pathParams) {
    if (!op.body) return { summary: undefined };
    const ct = (req.headers["content-type"] ?? "").split(";")[0].trim().toLowerCase();
    const types = api.contentTypes(op);
    const needsSchema = types.some((t) => op.body.contents[t].hasSchema);
    if (raw.length === 0) {
      if (op.body.required && needsSchema) throw new CfError(400, CODES.BAD_REQUEST, "request body is required");
      return { summary: undefined };
    }
    if (ct === "multipart/form-data") {
      if (!types.includes("multipart/form-data")) throw new CfError(415, CODES.UNSUPPORTED_CONTENT_TYPE, `Content-Type ${ct} is not supported here (expected ${types.join(", ")})`);
      let parts;
      try {
        parts = parseMultipart(raw, req.headers["content-type"]);
      } catch (e) {
        throw new CfError(400, CODES.BAD_REQUEST, `malformed multipart body: ${e.message}`);
      }
      // Fields the schema models (metadata, settings, value...) become the validated instance;
      // object-typed ones carry JSON. Other parts are the modules ("files").
      const instance = {};
      const fields = {};
      for (const p of parts) {
        const schema = api.multipartFieldSchema(op, p.name);
        if (!schema) continue;
        const resolved = schema.$ref ? api.ajvBody.getSchema(`cf.json${schema.$ref}`).schema : schema;
        if (resolved.type === "object" || resolved.properties || resolved.allOf) {
          try {
            fields[p.name] = JSON.parse(p.data.toString("utf8"));
          } catch {
            throw new CfError(400, CODES.BAD_REQUEST, `multipart part '${p.name}' must be JSON`);
          }
        } else fields[p.name] = p.data.toString(resolved.format === "binary" ? "latin1" : "utf8");
        instance[p.name] = fields[p.name];
      }
      preprocessors[op.operationId]?.(instance, { account: auth.account, params: pathParams });
      const err = api.checkBody(op, "multipart/form-data", instance);
      if (err) throw new CfError(400, op.operationId.startsWith("worker-") ? CODES.SCRIPT_INVALID : CODES.BAD_REQUEST, err);
      const summary = {
        parts: parts.map((p) => ({ name: p.name, filename: p.filename, content_type: p.contentType, size: p.data.length })),
        ...Object.fromEntries(Object.entries(fields).filter(([, v]) => typeof v === "object").map(([k, v]) => [k, redact(v)])),
      };
      return { multipart: { parts, fields }, summary };
    }
    if ((ct === "application/javascript" || ct === "text/javascript") && types.includes(ct)) {
      return { script: raw, summary: { script_bytes: raw.length } };
    }
    if (!types.includes("application/json")) throw new CfError(415, CODES.UNSUPPORTED_CONTENT_TYPE, `Content-Type ${ct || "(none)"} is not supported here (expected ${types.join(", ")})`);
    // JSON operations: the API parses the body whatever the Content-Type (wrangler sends some
    // JSON bodies as text/plain).
    let json;
    try {
      json = JSON.parse(raw.toString("utf8"));
    } catch {
      throw new CfError(400, CODES.BAD_REQUEST, "request body is not valid JSON");
    }
    const err = api.checkBody(op, "application/json", json);
    if (err) throw new CfError(400, CODES.BAD_REQUEST, err);
    return { json, summary: redact(json) };
  }

  async function handleApi(req, res, url) {
    const started = performance.now();
    const path = url.pathname.slice(API_PREFIX.length) || "/";
    const entry = { time: new Date().toISOString(), method: req.method, path, query: url.search, operation: null, status: 0, error_codes: [] };
    let status = 200;
    let payload;
    let headers = {};
    let rawResponse = null;
    let refusal = null; // the error's message, for the log line (a refused upload says why)
    try {
      const raw = await readBody(req);
      const fault = faults.take(req.method, path);
      const injected = (f) => new CfError(f.status, f.code, f.message, f.retry_after !== undefined ? { "retry-after": String(f.retry_after) } : {});
      if (fault) entry.fault = fault.id;
      if (fault && !fault.after) throw injected(fault);
      const match = api.match(req.method, path);
      if (!match.op) throw new CfError(404, CODES.NO_ROUTE, "No route for the URI");
      const { op, pathParams } = match;
      entry.operation = op.operationId;
      const auth = authorize(req, op, pathParams, url.searchParams);
      const paramErr = api.checkParams(op, pathParams, url.searchParams);
      if (paramErr) throw new CfError(400, CODES.BAD_REQUEST, paramErr);
      const body = parseBody(op, req, raw, auth, pathParams);
      entry.body = body.summary;
      const handler = handlers[op.operationId];
      if (!handler) throw new CfError(501, CODES.NOT_IMPLEMENTED, `${op.operationId} is in the API but not implemented by cfstandin`);
      const out = await handler({ op, params: pathParams, query: url.searchParams, body, req, auth, account: auth.account, standin });
      if (fault) throw injected(fault); // `after`: the call took effect, its answer is lost
      if (out?.raw) rawResponse = out.raw;
      else payload = success(out?.result ?? null, out?.resultInfo);
    } catch (e) {
      if (!(e instanceof CfError)) {
        log(`internal error on ${req.method} ${path}: ${e.stack ?? e}`);
        e = new CfError(500, CODES.INTERNAL, `internal error: ${e.message}`);
      }
      status = e.status;
      headers = e.headers;
      payload = failure([{ code: e.code, message: e.message }]);
      entry.error_codes = [e.code];
      refusal = e.message;
    }
    if (rawResponse) {
      status = rawResponse.status ?? 200;
      res.writeHead(status, rawResponse.headers ?? {}).end(rawResponse.body);
    } else sendJson(res, status, payload, headers);
    entry.status = status;
    entry.duration_ms = Math.round((performance.now() - started) * 10) / 10;
    requests.add(entry);
    const why = refusal ? `: ${refusal.replace(/\s+/g, " ").slice(0, 300)}` : "";
    log(`${req.method} ${path}${url.search} → ${status}${entry.error_codes.length ? ` [${entry.error_codes.join(",")}]` : ""} ${entry.duration_ms} ms${why}`);
  }

  async function handleAdmin(req, res, url) {
    const path = url.pathname.slice("/__standin".length);
    if (path === "/scripts" && req.method === "GET") {
      const out = [];
      for (const [accountId, doc] of store.accounts) {
        for (const [name, s] of Object.entries(doc.scripts)) {
          out.push({
            account: accountId,
            script: name,
            url: runtimes.url(accountId, name),
            running: runtimes.running(accountId, name),
            workers_dev: s.subdomain.enabled ? `${name}.${doc.subdomain}.workers.dev` : null,
            deployment: s.deployments[0] ?? null,
            schedules: s.schedules ?? [],
          });
        }
      }
      return sendJson(res, 200, { runtimes: runtimes.stats(), scripts: out });
    }
    if (path === "/runtimes" && req.method === "GET") return sendJson(res, 200, runtimes.stats());
    if (path === "/queues" && req.method === "GET") return sendJson(res, 200, queues.stats());
    if (path === "/requests") {
      if (req.method === "DELETE") return sendJson(res, 200, { cleared: true }, requests.clear());
      return sendJson(res, 200, { requests: requests.since(Number(url.searchParams.get("since") ?? 0)) });
    }
    if (path === "/scheduled") {
      if (req.method === "GET") return sendJson(res, 200, { events: cron.events });
      if (req.method === "POST") {
        // Fire a script's cron trigger now (what `wrangler dev --test-scheduled` offers locally).
        let body;
        try {
          body = JSON.parse((await readBody(req)).toString("utf8") || "{}");
        } catch (e) {
          return sendJson(res, 400, { error: `body is not JSON: ${e.message}` });
        }
        const accountId = body.account ?? (store.accounts.size === 1 ? [...store.accounts.keys()][0] : null);
        const doc = accountId ? store.accounts.get(accountId)?.scripts[body.script] : null;
        if (!doc) return sendJson(res, 404, { error: `no script ${JSON.stringify(body.script)} in account ${JSON.stringify(accountId)}` });
        const cronText = body.cron ?? doc.schedules?.[0]?.cron;
        if (!cronText) return sendJson(res, 400, { error: "the script has no cron triggers; pass {cron}" });
        return sendJson(res, 200, await cron.fire(accountId, body.script, cronText, body.scheduled_time ? Date.parse(body.scheduled_time) : Date.now()));
      }
    }
    if (path === "/faults") {
      if (req.method === "GET") return sendJson(res, 200, { faults: faults.list() });
      if (req.method === "DELETE") return sendJson(res, 200, { cleared: true }, faults.clear());
      if (req.method === "POST") {
        try {
          return sendJson(res, 200, faults.add(JSON.parse((await readBody(req)).toString("utf8"))));
        } catch (e) {
          return sendJson(res, 400, { error: e.message });
        }
      }
    }
    return sendJson(res, 404, { error: "unknown admin endpoint" });
  }

  /** A deployed script addressed by Host: workers.dev subdomain or a zone route. */
  function scriptForHost(host, path) {
    const hostname = (host ?? "").replace(/:\d+$/, "").toLowerCase();
    const m = /^([a-z0-9_-]+)\.([a-z0-9-]+)\.workers\.dev$/.exec(hostname);
    for (const [accountId, doc] of store.accounts) {
      if (m && doc.subdomain === m[2] && doc.scripts[m[1]]?.subdomain.enabled) return { accountId, script: m[1] };
      for (const route of Object.values(doc.routes)) {
        if (route.script && routeMatches(route.pattern, hostname, path)) return { accountId, script: route.script };
      }
    }
    return null;
  }

  const server = http.createServer((req, res) => {
    const url = new URL(req.url, "http://standin");
    const target = url.pathname.startsWith(API_PREFIX) || url.pathname.startsWith("/__standin") ? null : scriptForHost(req.headers.host, url.pathname);
    if (target) return runtimes.serve(target.accountId, target.script, req, res);
    if (url.pathname === API_PREFIX || url.pathname.startsWith(API_PREFIX + "/")) {
      return handleApi(req, res, url).catch((e) => {
        log(`unhandled: ${e.stack}`);
        if (!res.headersSent) sendJson(res, 500, failure([{ code: CODES.INTERNAL, message: "internal error" }]));
      });
    }
    if (url.pathname.startsWith("/__standin/")) return handleAdmin(req, res, url);
    sendJson(res, 404, failure([{ code: CODES.NO_ROUTE, message: "No route for the URI" }]));
  });
  await new Promise((resolve, reject) => {
    server.once("error", reject);
    server.listen(port, "127.0.0.1", resolve);
  });
  const actualPort = server.address().port;
  const startupMs = Math.round(performance.now() - t0);

  let closing = null;
  return {
    url: `http://127.0.0.1:${actualPort}`,
    apiBase: `http://127.0.0.1:${actualPort}${API_PREFIX}`,
    port: actualPort,
    startupMs,
    store,
    runtimes,
    scheduler: cron,
    close() {
      closing ??= (async () => {
        await new Promise((r) => {
          server.close(r);
          server.closeAllConnections();
        });
        cron.stop();
        queues.close();
        await runtimes.closeAll();
        await hub.dispose();
      })();
      return closing;
    },
  };
}

// In-memory stand-ins for Cloudflare bindings, with the API surface that
// bindings/cloudflare.ts uses (KVNamespace, R2Bucket, D1Database, sockets `connect`).
// Used by the node test host and the benchmarks.

import { createHash } from "node:crypto";
import { createConnection } from "node:net";
import { Duplex } from "node:stream";
import type { ConnectFn, SocketLike } from "../bindings/cloudflare";

function bytesOf(v: unknown): Uint8Array {
  if (typeof v === "string") return new TextEncoder().encode(v);
  if (v instanceof Uint8Array) return new Uint8Array(v);
  if (v instanceof ArrayBuffer) return new Uint8Array(v.slice(0));
  if (ArrayBuffer.isView(v)) return new Uint8Array(v.buffer.slice(v.byteOffset, v.byteOffset + v.byteLength));
  throw new TypeError("value must be a string, ArrayBuffer or ArrayBufferView");
}

interface KvEntry {
  value: Uint8Array;
  metadata: unknown;
  expiration?: number;
}

export class MemoryKV {
  readonly data = new Map<string, KvEntry>();

  private live(key: string): KvEntry | undefined {
    const e = this.data.get(key);
    if (e?.expiration !== undefined && e.expiration * 1000 <= Date.now()) {
      this.data.delete(key);
      return undefined;
    }
    return e;
  }

  async get(key: string, opts?: { type?: string } | string): Promise<unknown> {
    return (await this.getWithMetadata(key, opts)).value;
  }

  async getWithMetadata(key: string, opts?: { type?: string } | string): Promise<{ value: unknown; metadata: unknown }> {
    const e = this.live(key);
    if (!e) return { value: null, metadata: null };
    const type = typeof opts === "string" ? opts : (opts?.type ?? "text");
    const copy = e.value.slice();
    const value =
      type === "arrayBuffer" ? copy.buffer : type === "json" ? JSON.parse(new TextDecoder().decode(copy)) : type === "stream" ? new Blob([copy]).stream() : new TextDecoder().decode(copy);
    return { value, metadata: e.metadata ?? null };
  }

  async put(key: string, value: unknown, opts: { expirationTtl?: number; expiration?: number; metadata?: unknown } = {}): Promise<void> {
    if (!key) throw new TypeError("KV put: key must not be empty");
    let expiration = opts.expiration;
    if (opts.expirationTtl !== undefined) {
      if (opts.expirationTtl < 60) throw new Error("KV put: expirationTtl must be at least 60 seconds");
      expiration = Math.floor(Date.now() / 1000) + opts.expirationTtl;
    }
    this.data.set(key, { value: bytesOf(value), metadata: opts.metadata, expiration });
  }

  async delete(key: string): Promise<void> {
    this.data.delete(key);
  }

  async list(opts: { prefix?: string; limit?: number; cursor?: string } = {}): Promise<{ keys: { name: string; expiration?: number; metadata?: unknown }[]; list_complete: boolean; cursor?: string }> {
    const limit = opts.limit ?? 1000;
    const names = [...this.data.keys()].filter((k) => this.live(k) && k.startsWith(opts.prefix ?? "")).sort();
    const start = opts.cursor ? Number(Buffer.from(opts.cursor, "base64").toString()) : 0;
    const page = names.slice(start, start + limit);
    const done = start + limit >= names.length;
    const keys = page.map((name) => {
      const e = this.data.get(name)!;
      const k: { name: string; expiration?: number; metadata?: unknown } = { name };
      if (e.expiration !== undefined) k.expiration = e.expiration;
      if (e.metadata !== undefined) k.metadata = e.metadata;
      return k;
    });
    return done ? { keys, list_complete: true } : { keys, list_complete: false, cursor: Buffer.from(String(start + limit)).toString("base64") };
  }
}

interface R2Entry {
  body: Uint8Array;
  etag: string;
  uploaded: Date;
  httpMetadata: Record<string, unknown>;
  customMetadata: Record<string, string>;
}

class MemoryR2Object {
  constructor(
    readonly key: string,
    private readonly e: R2Entry,
  ) {}
  get size() {
    return this.e.body.byteLength;
  }
  get etag() {
    return this.e.etag;
  }
  get httpEtag() {
    return `"${this.e.etag}"`;
  }
  get uploaded() {
    return this.e.uploaded;
  }
  get httpMetadata() {
    return this.e.httpMetadata;
  }
  get customMetadata() {
    return this.e.customMetadata;
  }
  async arrayBuffer(): Promise<ArrayBuffer> {
    return this.e.body.slice().buffer;
  }
}

export class MemoryR2 {
  readonly data = new Map<string, R2Entry>();

  async head(key: string): Promise<MemoryR2Object | null> {
    const e = this.data.get(key);
    return e ? new MemoryR2Object(key, e) : null;
  }
  async get(key: string): Promise<MemoryR2Object | null> {
    return this.head(key);
  }
  async put(key: string, value: unknown, opts: { httpMetadata?: Record<string, unknown>; customMetadata?: Record<string, string> } = {}): Promise<MemoryR2Object> {
    const body = bytesOf(value);
    const e: R2Entry = {
      body,
      etag: createHash("md5").update(body).digest("hex"),
      uploaded: new Date(),
      httpMetadata: { ...(opts.httpMetadata ?? {}) },
      customMetadata: { ...(opts.customMetadata ?? {}) },
    };
    this.data.set(key, e);
    return new MemoryR2Object(key, e);
  }
  async delete(keys: string | string[]): Promise<void> {
    for (const k of Array.isArray(keys) ? keys : [keys]) this.data.delete(k);
  }
  async list(opts: { prefix?: string; limit?: number; cursor?: string; delimiter?: string } = {}) {
    const limit = opts.limit ?? 1000;
    const prefix = opts.prefix ?? "";
    const all = [...this.data.keys()].filter((k) => k.startsWith(prefix)).sort();
    const prefixes = new Set<string>();
    const keys: string[] = [];
    for (const k of all) {
      if (opts.delimiter) {
        const i = k.indexOf(opts.delimiter, prefix.length);
        if (i >= 0) {
          prefixes.add(k.slice(0, i + opts.delimiter.length));
          continue;
        }
      }
      keys.push(k);
    }
    const start = opts.cursor ? Number(opts.cursor) : 0;
    const page = keys.slice(start, start + limit);
    const truncated = start + limit < keys.length;
    return {
      objects: page.map((k) => new MemoryR2Object(k, this.data.get(k)!)),
      truncated,
      cursor: truncated ? String(start + limit) : undefined,
      delimitedPrefixes: [...prefixes].sort(),
    };
  }
}

// ---- D1 on sql.js (SQLite compiled to wasm) ----

type SqlJsStatic = { Database: new (data?: Uint8Array) => any };
let sqlJs: Promise<SqlJsStatic> | undefined;
async function loadSqlJs(): Promise<SqlJsStatic> {
  if (!sqlJs) {
    sqlJs = (async () => {
      const mod: any = await import("sql.js");
      const init = mod.default ?? mod;
      return init();
    })();
  }
  return sqlJs;
}

function sqlValue(v: unknown): unknown {
  if (v instanceof ArrayBuffer) return new Uint8Array(v);
  if (typeof v === "boolean") return v ? 1 : 0;
  return v === undefined ? null : v;
}
function outValue(v: unknown): unknown {
  return v instanceof Uint8Array ? v.slice().buffer : v;
}

export class MemoryD1Statement {
  constructor(
    private readonly db: MemoryD1,
    readonly sql: string,
    readonly params: unknown[] = [],
  ) {}
  bind(...params: unknown[]): MemoryD1Statement {
    return new MemoryD1Statement(this.db, this.sql, params.map(sqlValue));
  }
  private exec(): { columns: string[]; rows: unknown[][]; changes: number; last_row_id: number; duration: number } {
    const t0 = performance.now();
    const sdb = this.db.sqlite();
    const stmt = sdb.prepare(this.sql);
    try {
      if (this.params.length) stmt.bind(this.params);
      const rows: unknown[][] = [];
      while (stmt.step()) rows.push(stmt.get().map(outValue));
      const columns: string[] = stmt.getColumnNames();
      const changes = sdb.getRowsModified();
      const lr = sdb.exec("SELECT last_insert_rowid()");
      const last_row_id = Number(lr[0]?.values[0]?.[0] ?? 0);
      return { columns, rows, changes, last_row_id, duration: performance.now() - t0 };
    } finally {
      stmt.free();
    }
  }
  async all(): Promise<{ results: Record<string, unknown>[]; success: true; meta: Record<string, number> }> {
    const r = this.exec();
    const results = r.rows.map((row) => Object.fromEntries(r.columns.map((c, i) => [c, row[i]])));
    return { results, success: true, meta: { changes: r.changes, last_row_id: r.last_row_id, duration: r.duration, rows_read: r.rows.length, rows_written: r.changes } };
  }
  async run() {
    return this.all();
  }
  async first(col?: string): Promise<unknown> {
    const r = await this.all();
    const row = r.results[0];
    if (!row) return null;
    return col === undefined ? row : row[col];
  }
  async raw(): Promise<unknown[][]> {
    return this.exec().rows;
  }
}

export class MemoryD1 {
  private db: any;
  private constructor(db: any) {
    this.db = db;
  }
  static async create(): Promise<MemoryD1> {
    const SQL = await loadSqlJs();
    return new MemoryD1(new SQL.Database());
  }
  sqlite(): any {
    return this.db;
  }
  prepare(sql: string): MemoryD1Statement {
    return new MemoryD1Statement(this, sql);
  }
  async batch(stmts: MemoryD1Statement[]) {
    this.db.exec("BEGIN");
    try {
      const out = [];
      for (const s of stmts) out.push(await s.all());
      this.db.exec("COMMIT");
      return out;
    } catch (e) {
      this.db.exec("ROLLBACK");
      throw e;
    }
  }
  async exec(sql: string): Promise<{ count: number; duration: number }> {
    const t0 = performance.now();
    const statements = sql.split("\n").filter((l) => l.trim());
    for (const s of statements) this.db.exec(s);
    return { count: statements.length, duration: performance.now() - t0 };
  }
}

/** `cloudflare:sockets` connect() on node:net (plain TCP; secureTransport "on" is refused). */
export const nodeConnect: ConnectFn = (address, options) => {
  if (options?.secureTransport && options.secureTransport !== "off") {
    throw new Error(`node test host: secureTransport=${options.secureTransport} is not supported (plain TCP only)`);
  }
  const sock = createConnection({ host: address.hostname, port: address.port });
  const opened = new Promise<void>((res, rej) => {
    sock.once("connect", () => res());
    sock.once("error", rej);
  });
  const closed = new Promise<void>((res) => sock.once("close", () => res()));
  const web = Duplex.toWeb(sock) as unknown as { readable: ReadableStream<Uint8Array>; writable: WritableStream<Uint8Array> };
  const s: SocketLike = {
    readable: web.readable,
    writable: web.writable,
    opened,
    closed,
    close: async () => {
      sock.destroy();
      await closed;
    },
  };
  return s;
};

/** A sent queue message, as MemoryQueue records it. */
export interface SentMessage {
  body: unknown;
  contentType?: string;
  delaySeconds?: number;
}

/**
 * A queue (producer binding `send`/`sendBatch`) that keeps what was sent and, once a consumer is
 * attached, delivers each send as a batch (like Cloudflare: an exception or `retry()` redelivers with
 * attempts + 1, up to `maxRetries`; what is never acknowledged after that lands in `deadLetters`).
 */
export class MemoryQueue {
  readonly sent: SentMessage[] = [];
  readonly deadLetters: SentMessage[] = [];
  consumer: ((batch: import("../runtime/queue").QueueBatchLike) => Promise<void>) | undefined;
  private nextId = 1;
  private pending: Promise<void>[] = [];
  constructor(
    readonly name: string,
    readonly maxRetries = 3,
  ) {}

  async send(body: unknown, opts: { contentType?: string; delaySeconds?: number } = {}): Promise<void> {
    await this.sendBatch([{ body, ...opts }]);
  }

  async sendBatch(messages: SentMessage[], _opts: { delaySeconds?: number } = {}): Promise<void> {
    const copied = messages.map((m) => ({ ...m, body: m.body instanceof Uint8Array ? m.body.slice() : structuredClone(m.body) }));
    this.sent.push(...copied);
    if (this.consumer) this.pending.push(this.deliver(copied.map((m) => ({ id: `msg-${this.nextId++}`, msg: m, attempts: 1 }))));
  }

  /** Wait until every delivery so far has finished (retries included). */
  async drain(): Promise<void> {
    while (this.pending.length) await Promise.all(this.pending.splice(0));
  }

  private async deliver(items: { id: string; msg: SentMessage; attempts: number }[]): Promise<void> {
    await new Promise((r) => setTimeout(r, 0)); // after the producer's request, as a real queue
    const outcome = new Map<string, "ack" | "retry">();
    let all: "ack" | "retry" | undefined;
    const batch = {
      queue: this.name,
      messages: items.map((it) => ({
        id: it.id,
        timestamp: new Date(),
        attempts: it.attempts,
        body: it.msg.body,
        ack: () => void (outcome.has(it.id) || outcome.set(it.id, "ack")),
        retry: () => void (outcome.has(it.id) || outcome.set(it.id, "retry")),
      })),
      ackAll: () => void (all ??= "ack"),
      retryAll: () => void (all ??= "retry"),
    };
    let failed = false;
    try {
      await this.consumer!(batch);
    } catch {
      failed = true;
    }
    const again = items.filter((it) => failed || (outcome.get(it.id) ?? all ?? "ack") === "retry");
    const retry = again.filter((it) => it.attempts <= this.maxRetries).map((it) => ({ ...it, attempts: it.attempts + 1 }));
    this.deadLetters.push(...again.filter((it) => it.attempts > this.maxRetries).map((it) => it.msg));
    if (retry.length) await this.deliver(retry);
  }
}

// The operations of docs/abi.md §3 on Cloudflare binding objects (KVNamespace, R2Bucket,
// D1Database), `fetch` and `cloudflare:sockets` `connect`. The node test host passes
// in-memory objects with the same API surface, so this file is exercised on both hosts.

import { Bindings, HostError, OpResult, STATUS } from "../runtime/bindings";

/** The subset of `cloudflare:sockets` Socket this module uses. */
export interface SocketLike {
  readable: ReadableStream<Uint8Array>;
  writable: WritableStream<Uint8Array>;
  opened?: Promise<unknown>;
  closed: Promise<void>;
  close(): Promise<void> | void;
}
export type ConnectFn = (address: { hostname: string; port: number }, options?: { secureTransport?: "off" | "on" | "starttls"; allowHalfOpen: boolean }) => SocketLike;

export interface CloudflareBindingsOptions {
  env: Record<string, unknown>;
  fetch?: typeof fetch;
  connect?: ConnectFn;
  /** Largest outbound HTTP response body (bytes) handed to Python; larger → LIMIT_EXCEEDED. */
  maxHttpResponseBytes?: number;
  /** Most open TCP sockets per instance. */
  maxSockets?: number;
}


function bad(msg: string): HostError {
  return new HostError(STATUS.INVALID_ARGUMENT, msg);
}

function str(args: any, name: string, op: string): string {
  const v = args?.[name];
  if (typeof v !== "string") throw bad(`${op}: "${name}" must be a string`);
  return v;
}

function toB64(b: Uint8Array): string {
  let s = "";
  for (let i = 0; i < b.byteLength; i += 0x8000) s += String.fromCharCode(...b.subarray(i, i + 0x8000));
  return btoa(s);
}
function fromB64(s: string): Uint8Array {
  const bin = atob(s);
  const out = new Uint8Array(bin.length);
  for (let i = 0; i < bin.length; i++) out[i] = bin.charCodeAt(i);
  return out;
}

/** D1 parameter: JSON value, `{"$bytes": b64}` → bytes. */
export function d1Param(v: unknown): unknown {
  if (v && typeof v === "object" && !Array.isArray(v) && typeof (v as any).$bytes === "string") {
    return fromB64((v as any).$bytes);
  }
  if (typeof v === "boolean") return v ? 1 : 0;
  if (v !== null && typeof v === "object") throw bad(`D1 parameters must be null, numbers, strings or {"$bytes": base64}; got ${JSON.stringify(v)}`);
  return v ?? null;
}

/** D1 value out: BLOBs (ArrayBuffer, typed arrays, or number arrays as older D1 returns them) → `{"$bytes"}`. */
export function d1Value(v: unknown): unknown {
  if (v instanceof ArrayBuffer) return { $bytes: toB64(new Uint8Array(v)) };
  if (ArrayBuffer.isView(v)) return { $bytes: toB64(new Uint8Array(v.buffer, v.byteOffset, v.byteLength)) };
  if (Array.isArray(v)) return { $bytes: toB64(Uint8Array.from(v as number[])) };
  return v;
}
function d1Row(r: unknown): unknown {
  if (Array.isArray(r)) return r.map(d1Value);
  if (r && typeof r === "object") {
    const o: Record<string, unknown> = {};
    for (const [k, v] of Object.entries(r)) o[k] = d1Value(v);
    return o;
  }
  return r;
}

function r2Obj(o: any): Record<string, unknown> {
  const hm: Record<string, unknown> = {};
  for (const [k, v] of Object.entries(o.httpMetadata ?? {})) hm[k] = v instanceof Date ? v.toISOString() : v;
  return {
    key: o.key,
    size: o.size,
    etag: o.etag,
    httpEtag: o.httpEtag,
    uploaded: o.uploaded instanceof Date ? o.uploaded.toISOString() : String(o.uploaded),
    httpMetadata: hm,
    customMetadata: { ...(o.customMetadata ?? {}) },
  };
}

async function readLimited(body: ReadableStream<Uint8Array> | null, limit: number): Promise<Uint8Array> {
  if (!body) return new Uint8Array(0);
  const reader = body.getReader();
  const chunks: Uint8Array[] = [];
  let total = 0;
  for (;;) {
    const { done, value } = await reader.read();
    if (done) break;
    total += value.byteLength;
    if (total > limit) {
      await reader.cancel().catch(() => undefined);
      throw new HostError(STATUS.LIMIT, `response body exceeds ${limit} bytes`);
    }
    chunks.push(value);
  }
  const out = new Uint8Array(total);
  let off = 0;
  for (const c of chunks) {
    out.set(c, off);
    off += c.byteLength;
  }
  return out;
}

interface OpenSocket {
  socket: SocketLike;
  reader: ReadableStreamDefaultReader<Uint8Array>;
  writer: WritableStreamDefaultWriter<Uint8Array>;
  leftover: Uint8Array | undefined;
  eof: boolean;
}

export class CloudflareBindings implements Bindings {
  private readonly env: Record<string, unknown>;
  private readonly fetchFn: typeof fetch;
  private readonly connectFn: ConnectFn | undefined;
  private readonly maxHttp: number;
  private readonly maxSockets: number;
  private readonly sockets = new Map<number, OpenSocket>();
  private nextSocket = 1;

  constructor(opts: CloudflareBindingsOptions) {
    this.env = opts.env;
    this.fetchFn = opts.fetch ?? ((...a: Parameters<typeof fetch>) => fetch(...a));
    this.connectFn = opts.connect;
    this.maxHttp = opts.maxHttpResponseBytes ?? 32 * 1024 * 1024;
    this.maxSockets = opts.maxSockets ?? 64;
  }

  private binding(name: string, kind: "kv" | "r2" | "d1"): any {
    const b = this.env[name] as any;
    if (b === undefined || b === null) throw new HostError(STATUS.UNKNOWN_BINDING, `no binding named ${JSON.stringify(name)}`);
    const ok =
      kind === "kv"
        ? typeof b.getWithMetadata === "function" && typeof b.list === "function"
        : kind === "r2"
          ? typeof b.head === "function" && typeof b.put === "function"
          : typeof b.prepare === "function" && typeof b.batch === "function";
    if (!ok) throw new HostError(STATUS.UNKNOWN_BINDING, `binding ${JSON.stringify(name)} is not a ${kind.toUpperCase()} binding`);
    return b;
  }

  async kv(name: string, op: string, args: any, blobs: Uint8Array[]): Promise<OpResult> {
    const ns = this.binding(name, "kv");
    switch (op) {
      case "get": {
        const r = await ns.getWithMetadata(str(args, "key", "kv.get"), { type: "arrayBuffer" });
        if (r.value === null) return { meta: { found: false } };
        const meta: Record<string, unknown> = { found: true };
        if (r.metadata !== null && r.metadata !== undefined) meta.metadata = r.metadata;
        return { meta, blobs: [new Uint8Array(r.value)] };
      }
      case "put": {
        const opts: Record<string, unknown> = {};
        for (const k of ["expirationTtl", "expiration", "metadata"]) if (args[k] !== undefined && args[k] !== null) opts[k] = args[k];
        await ns.put(str(args, "key", "kv.put"), blobs[0] ?? new Uint8Array(0), opts);
        return { meta: null };
      }
      case "delete":
        await ns.delete(str(args, "key", "kv.delete"));
        return { meta: null };
      case "list": {
        const opts: Record<string, unknown> = {};
        for (const k of ["prefix", "limit", "cursor"]) if (args[k] !== undefined && args[k] !== null) opts[k] = args[k];
        const r = await ns.list(opts);
        const meta: Record<string, unknown> = {
          keys: r.keys.map((k: any) => {
            const o: Record<string, unknown> = { name: k.name };
            if (k.expiration !== undefined) o.expiration = k.expiration;
            if (k.metadata !== undefined) o.metadata = k.metadata;
            return o;
          }),
          list_complete: r.list_complete,
        };
        if (!r.list_complete && r.cursor) meta.cursor = r.cursor;
        return { meta };
      }
      default:
        throw bad(`kv: unknown operation ${JSON.stringify(op)}`);
    }
  }

  async r2(name: string, op: string, args: any, blobs: Uint8Array[]): Promise<OpResult> {
    const bucket = this.binding(name, "r2");
    switch (op) {
      case "get": {
        const o = await bucket.get(str(args, "key", "r2.get"));
        if (!o) return { meta: { found: false } };
        return { meta: { found: true, object: r2Obj(o) }, blobs: [new Uint8Array(await o.arrayBuffer())] };
      }
      case "head": {
        const o = await bucket.head(str(args, "key", "r2.head"));
        return o ? { meta: { found: true, object: r2Obj(o) } } : { meta: { found: false } };
      }
      case "put": {
        const opts: Record<string, unknown> = {};
        if (args.httpMetadata) opts.httpMetadata = args.httpMetadata;
        if (args.customMetadata) opts.customMetadata = args.customMetadata;
        const o = await bucket.put(str(args, "key", "r2.put"), blobs[0] ?? new Uint8Array(0), opts);
        return { meta: { object: r2Obj(o) } };
      }
      case "delete": {
        const keys = args.keys;
        if (!Array.isArray(keys) || keys.some((k) => typeof k !== "string")) throw bad('r2.delete: "keys" must be a list of strings');
        if (keys.length) await bucket.delete(keys);
        return { meta: null };
      }
      case "list": {
        const opts: Record<string, unknown> = { include: ["httpMetadata", "customMetadata"] };
        for (const k of ["prefix", "limit", "cursor", "delimiter"]) if (args[k] !== undefined && args[k] !== null) opts[k] = args[k];
        const r = await bucket.list(opts);
        const meta: Record<string, unknown> = {
          objects: r.objects.map(r2Obj),
          truncated: r.truncated,
          delimitedPrefixes: r.delimitedPrefixes ?? [],
        };
        if (r.truncated && r.cursor) meta.cursor = r.cursor;
        return { meta };
      }
      default:
        throw bad(`r2: unknown operation ${JSON.stringify(op)}`);
    }
  }

  private statement(db: any, s: any, op: string): any {
    const sql = str(s, "sql", op);
    const params = s.params ?? [];
    if (!Array.isArray(params)) throw bad(`${op}: "params" must be a list`);
    const stmt = db.prepare(sql);
    return params.length ? stmt.bind(...params.map(d1Param)) : stmt;
  }

  private static d1Meta(m: any): Record<string, unknown> {
    return { ...(m ?? {}), changes: m?.changes ?? 0, last_row_id: m?.last_row_id ?? 0, duration: m?.duration ?? 0 };
  }

  async d1(name: string, op: string, args: any, _blobs: Uint8Array[]): Promise<OpResult> {
    const db = this.binding(name, "d1");
    try {
      switch (op) {
        case "query": {
          const mode = args.mode ?? "all";
          const stmt = this.statement(db, args, "d1.query");
          if (mode === "raw") {
            const t0 = Date.now();
            const rows: unknown[][] = await stmt.raw();
            // D1's raw() reports no meta; only the measured duration is known.
            return { meta: { results: rows.map(d1Row), success: true, meta: { duration: Date.now() - t0 } } };
          }
          if (mode !== "all" && mode !== "first" && mode !== "run") throw bad(`d1.query: unknown mode ${JSON.stringify(mode)}`);
          const r = mode === "run" ? await stmt.run() : await stmt.all();
          let results: unknown[] = (r.results ?? []).map(d1Row);
          if (mode === "first") results = results.slice(0, 1);
          return { meta: { results, success: r.success ?? true, meta: CloudflareBindings.d1Meta(r.meta) } };
        }
        case "batch": {
          const stmts = args.statements;
          if (!Array.isArray(stmts)) throw bad('d1.batch: "statements" must be a list');
          const rs = await db.batch(stmts.map((s: any) => this.statement(db, s, "d1.batch")));
          return {
            meta: rs.map((r: any) => ({ results: (r.results ?? []).map(d1Row), success: r.success ?? true, meta: CloudflareBindings.d1Meta(r.meta) })),
          };
        }
        case "exec": {
          const r = await db.exec(str(args, "sql", "d1.exec"));
          return { meta: { count: r.count, duration: r.duration } };
        }
        default:
          throw bad(`d1: unknown operation ${JSON.stringify(op)}`);
      }
    } catch (e) {
      if (e instanceof HostError) throw e;
      // SQL errors (syntax, constraint) are the caller's fault: report them as invalid arguments with D1's text.
      throw new HostError(STATUS.INVALID_ARGUMENT, e instanceof Error ? e.message : String(e), "D1_ERROR");
    }
  }

  async http(op: string, args: any, blobs: Uint8Array[]): Promise<OpResult> {
    if (op !== "fetch") throw bad(`http: unknown operation ${JSON.stringify(op)}`);
    const url = str(args, "url", "http.fetch");
    const method = (args.method ?? "GET").toUpperCase();
    const headers = new Headers();
    for (const h of args.headers ?? []) {
      if (!Array.isArray(h) || h.length !== 2) throw bad('http.fetch: "headers" must be [[name, value], ...]');
      headers.append(String(h[0]), String(h[1]));
    }
    const redirect = args.redirect ?? "follow";
    if (redirect !== "follow" && redirect !== "manual") throw bad('http.fetch: "redirect" must be "follow" or "manual"');
    const hasBody = blobs[0] !== undefined && method !== "GET" && method !== "HEAD";
    let resp: Response;
    try {
      resp = await this.fetchFn(url, { method, headers, body: hasBody ? blobs[0] : undefined, redirect });
    } catch (e) {
      throw new HostError(STATUS.IO, `fetch ${url}: ${e instanceof Error ? e.message : String(e)}`);
    }
    const body = await readLimited(resp.body, this.maxHttp);
    return {
      meta: { status: resp.status, statusText: resp.statusText, headers: [...resp.headers], url: resp.url || url },
      blobs: [body],
    };
  }

  private sock(args: any, op: string): OpenSocket {
    const id = args?.socket;
    const s = typeof id === "number" ? this.sockets.get(id) : undefined;
    if (!s) throw bad(`${op}: no open socket ${JSON.stringify(id)}`);
    return s;
  }

  async tcp(op: string, args: any, blobs: Uint8Array[]): Promise<OpResult> {
    switch (op) {
      case "connect": {
        if (!this.connectFn) throw new HostError(STATUS.NOT_SUPPORTED, "tcp: this host has no socket support");
        if (this.sockets.size >= this.maxSockets) throw new HostError(STATUS.LIMIT, `tcp: more than ${this.maxSockets} open sockets`);
        const hostname = str(args, "hostname", "tcp.connect");
        const port = args.port;
        if (!Number.isInteger(port) || port <= 0 || port > 65535) throw bad("tcp.connect: \"port\" must be 1..65535");
        const secureTransport = args.secureTransport ?? "off";
        let socket: SocketLike;
        try {
          socket = this.connectFn({ hostname, port }, { secureTransport, allowHalfOpen: false });
          if (socket.opened) await socket.opened;
        } catch (e) {
          throw new HostError(STATUS.IO, `connect ${hostname}:${port}: ${e instanceof Error ? e.message : String(e)}`);
        }
        const id = this.nextSocket++;
        this.sockets.set(id, { socket, reader: socket.readable.getReader(), writer: socket.writable.getWriter(), leftover: undefined, eof: false });
        return { meta: { socket: id } };
      }
      case "send": {
        const s = this.sock(args, "tcp.send");
        const data = blobs[0] ?? new Uint8Array(0);
        try {
          await s.writer.write(data);
        } catch (e) {
          throw new HostError(STATUS.IO, `tcp.send: ${e instanceof Error ? e.message : String(e)}`);
        }
        return { meta: { sent: data.byteLength } };
      }
      case "recv": {
        const s = this.sock(args, "tcp.recv");
        const max = args.max ?? 65536;
        if (!Number.isInteger(max) || max <= 0) throw bad('tcp.recv: "max" must be a positive integer');
        let chunk = s.leftover;
        s.leftover = undefined;
        while (!chunk && !s.eof) {
          let r: ReadableStreamReadResult<Uint8Array>;
          try {
            r = await s.reader.read();
          } catch (e) {
            throw new HostError(STATUS.IO, `tcp.recv: ${e instanceof Error ? e.message : String(e)}`);
          }
          if (r.done) s.eof = true;
          else if (r.value.byteLength) chunk = r.value;
        }
        if (!chunk) return { meta: null, blobs: [new Uint8Array(0)] };
        if (chunk.byteLength > max) {
          s.leftover = chunk.subarray(max);
          chunk = chunk.subarray(0, max);
        }
        return { meta: null, blobs: [chunk] };
      }
      case "close": {
        const s = this.sock(args, "tcp.close");
        this.sockets.delete(args.socket);
        await this.closeSocket(s);
        return { meta: null };
      }
      default:
        throw bad(`tcp: unknown operation ${JSON.stringify(op)}`);
    }
  }

  private async closeSocket(s: OpenSocket): Promise<void> {
    try {
      s.reader.releaseLock();
      s.writer.releaseLock();
      await s.socket.close();
    } catch {
      // already closed by the peer
    }
  }

  async close(): Promise<void> {
    const all = [...this.sockets.values()];
    this.sockets.clear();
    await Promise.all(all.map((s) => this.closeSocket(s)));
  }
}


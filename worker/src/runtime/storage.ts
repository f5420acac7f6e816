// Durable Object storage, the binding kind `do_storage` (docs/abi.md §7; src/bindings/storage.ts):
// the KV op shapes (get/put/delete/list) on `ctx.storage`, plus `alarm` to ask the host to wake
// the worker. `pymode.workflows` keeps its run records here. The node host uses
// MemoryDurableStorage, which delivers alarms with a timer.

import { HostError, OpResult, STATUS } from "./bindings";

/** The Durable Object storage value limit (the KV-style API); enforced the same on every host. */
export const STORAGE_VALUE_MAX_BYTES = 128 * 1024;
const KEY_MAX_BYTES = 2048;
const LIST_MAX = 1000;

/** The part of `DurableObjectStorage` this module uses. */
export interface DurableStorageLike {
  get(key: string): Promise<unknown>;
  put(key: string, value: unknown): Promise<void>;
  delete(key: string): Promise<boolean>;
  list(options: { prefix?: string; limit?: number; startAfter?: string }): Promise<Map<string, unknown>>;
  getAlarm(): Promise<number | null>;
  setAlarm(scheduledTime: number): Promise<void>;
}

interface Stored {
  v: Uint8Array;
  m?: unknown;
}

const te = new TextEncoder();
const bad = (msg: string) => new HostError(STATUS.INVALID_ARGUMENT, msg);

function key(args: any, op: string): string {
  const k = args?.key;
  if (typeof k !== "string" || k === "") throw bad(`storage ${op}: "key" must be a non-empty string`);
  if (te.encode(k).byteLength > KEY_MAX_BYTES) throw new HostError(STATUS.LIMIT, `storage ${op}: key is longer than ${KEY_MAX_BYTES} bytes`);
  return k;
}

function asStored(v: unknown): Stored | undefined {
  if (v === undefined) return undefined;
  if (v && typeof v === "object" && (v as Stored).v instanceof Uint8Array) return v as Stored;
  // A value written by other code (not through this binding): hand it over as JSON text.
  return { v: te.encode(JSON.stringify(v)) };
}

/** One abi §3 KV operation (plus `alarm`) on Durable Object storage. */
export async function storageOp(storage: DurableStorageLike, op: string, args: any, blobs: Uint8Array[]): Promise<OpResult> {
  switch (op) {
    case "get": {
      const e = asStored(await storage.get(key(args, op)));
      if (!e) return { meta: { found: false } };
      return { meta: e.m === undefined ? { found: true } : { found: true, metadata: e.m }, blobs: [e.v.slice()] };
    }
    case "put": {
      const k = key(args, op);
      if (args.expirationTtl != null || args.expiration != null) {
        throw new HostError(STATUS.NOT_SUPPORTED, "Durable Object storage has no key expiration");
      }
      if (blobs.length !== 1) throw bad(`storage put needs exactly one binary field, got ${blobs.length}`);
      const value = blobs[0]!;
      if (value.byteLength > STORAGE_VALUE_MAX_BYTES) {
        throw new HostError(STATUS.LIMIT, `value is ${value.byteLength} bytes, more than the ${STORAGE_VALUE_MAX_BYTES} Durable Object storage allows`);
      }
      const entry: Stored = { v: value.slice() };
      if (args.metadata != null) entry.m = args.metadata;
      await storage.put(k, entry);
      return { meta: null };
    }
    case "delete":
      await storage.delete(key(args, op));
      return { meta: null };
    case "list": {
      const prefix = args.prefix ?? "";
      if (typeof prefix !== "string") throw bad('storage list: "prefix" must be a string');
      const limit = args.limit ?? LIST_MAX;
      if (!Number.isInteger(limit) || limit < 1 || limit > LIST_MAX) throw bad(`limit must be between 1 and ${LIST_MAX}, got ${JSON.stringify(limit)}`);
      const cursor = args.cursor;
      if (cursor != null && typeof cursor !== "string") throw bad('storage list: "cursor" must be a string');
      const opts: { prefix?: string; limit: number; startAfter?: string } = { limit: limit + 1 };
      if (prefix) opts.prefix = prefix;
      if (cursor) opts.startAfter = cursor;
      const found = [...(await storage.list(opts)).entries()];
      const keys = found.slice(0, limit).map(([name, v]) => {
        const m = asStored(v)?.m;
        return m === undefined ? { name } : { name, metadata: m };
      });
      const complete = found.length <= limit;
      return { meta: complete ? { keys, list_complete: true } : { keys, list_complete: false, cursor: keys[keys.length - 1]!.name } };
    }
    case "alarm": {
      const at = args.at;
      if (typeof at !== "number" || !Number.isFinite(at)) throw bad(`alarm needs a number "at" (epoch seconds), got ${JSON.stringify(at)}`);
      const ms = Math.max(Date.now(), Math.ceil(at * 1000));
      const current = await storage.getAlarm();
      // An alarm time in the past is the one being delivered right now (inside alarm()): replace it.
      if (current === null || current > ms || current <= Date.now()) await storage.setAlarm(ms);
      return { meta: { alarm: true } };
    }
    default:
      throw bad(`unknown storage operation ${JSON.stringify(op)}`);
  }
}

/**
 * In-memory Durable Object storage for the node host. Alarms fire through `onAlarm` after the
 * scheduled time (one pending alarm, like a Durable Object); a failing alarm is retried once a second
 * up to 6 times, as Cloudflare retries alarm handlers.
 */
export class MemoryDurableStorage implements DurableStorageLike {
  readonly data = new Map<string, unknown>();
  private alarmAt: number | null = null;
  private timer: ReturnType<typeof setTimeout> | undefined;
  onAlarm: (() => Promise<void>) | undefined;

  constructor(onAlarm?: () => Promise<void>) {
    this.onAlarm = onAlarm;
  }

  async get(key: string): Promise<unknown> {
    return this.data.get(key);
  }
  async put(key: string, value: unknown): Promise<void> {
    this.data.set(key, value);
  }
  async delete(key: string): Promise<boolean> {
    return this.data.delete(key);
  }
  async list(options: { prefix?: string; limit?: number; startAfter?: string }): Promise<Map<string, unknown>> {
    const keys = [...this.data.keys()].filter((k) => (!options.prefix || k.startsWith(options.prefix)) && (options.startAfter === undefined || k > options.startAfter)).sort();
    return new Map(keys.slice(0, options.limit ?? keys.length).map((k) => [k, this.data.get(k)]));
  }
  async getAlarm(): Promise<number | null> {
    return this.alarmAt;
  }
  async setAlarm(scheduledTime: number): Promise<void> {
    this.alarmAt = scheduledTime;
    this.arm(scheduledTime, 0);
  }
  async deleteAlarm(): Promise<void> {
    this.alarmAt = null;
    if (this.timer) clearTimeout(this.timer);
  }

  private arm(at: number, retries: number): void {
    if (this.timer) clearTimeout(this.timer);
    this.timer = setTimeout(() => void this.fire(at, retries), Math.max(0, at - Date.now()));
    (this.timer as any).unref?.();
  }

  private async fire(at: number, retries: number): Promise<void> {
    if (this.alarmAt !== at) return;
    this.alarmAt = null;
    try {
      await this.onAlarm?.();
    } catch {
      if (retries < 6 && this.alarmAt === null) {
        this.alarmAt = Date.now() + 1000;
        this.arm(this.alarmAt, retries + 1);
      }
    }
  }

  dispose(): void {
    if (this.timer) clearTimeout(this.timer);
    this.alarmAt = null;
  }
}

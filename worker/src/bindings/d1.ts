// Kind "d1": a D1 database (docs/abi.md §3 D1).

import { HostError, OpResult, STATUS } from "../runtime/bindings";
import { DeclaredKind, Op, bad, fromB64, str, toB64 } from "./kind";

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

function statement(db: any, s: any, op: string): any {
  const sql = str(s, "sql", op);
  const params = s.params ?? [];
  if (!Array.isArray(params)) throw bad(`${op}: "params" must be a list`);
  const stmt = db.prepare(sql);
  return params.length ? stmt.bind(...params.map(d1Param)) : stmt;
}

function d1Meta(m: any): Record<string, unknown> {
  return { ...(m ?? {}), changes: m?.changes ?? 0, last_row_id: m?.last_row_id ?? 0, duration: m?.duration ?? 0 };
}

/** SQL errors (syntax, constraint) are the caller's fault: INVALID_ARGUMENT with D1's text. */
function sqlErrors(op: Op<any>): Op<any> {
  return async (db, args, blobs, ctx): Promise<OpResult> => {
    try {
      return await op(db, args, blobs, ctx);
    } catch (e) {
      if (e instanceof HostError) throw e;
      throw new HostError(STATUS.INVALID_ARGUMENT, e instanceof Error ? e.message : String(e), "D1_ERROR");
    }
  };
}

export const d1: DeclaredKind<any> = {
  name: "d1",
  scope: "declared",
  label: "D1 database",
  isBinding: (b) => typeof b?.prepare === "function" && typeof b?.batch === "function",
  ops: {
    query: sqlErrors(async (db, args) => {
      const mode = args.mode ?? "all";
      const stmt = statement(db, args, "d1.query");
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
      return { meta: { results, success: r.success ?? true, meta: d1Meta(r.meta) } };
    }),
    batch: sqlErrors(async (db, args) => {
      const stmts = args.statements;
      if (!Array.isArray(stmts)) throw bad('d1.batch: "statements" must be a list');
      const rs = await db.batch(stmts.map((s: any) => statement(db, s, "d1.batch")));
      return { meta: rs.map((r: any) => ({ results: (r.results ?? []).map(d1Row), success: r.success ?? true, meta: d1Meta(r.meta) })) };
    }),
    exec: sqlErrors(async (db, args) => {
      const r = await db.exec(str(args, "sql", "d1.exec"));
      return { meta: { count: r.count, duration: r.duration } };
    }),
  },
};

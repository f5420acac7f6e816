// The API request log behind GET /__standin/requests: what tests assert call sequences on.
// It never holds Authorization values or secret values: headers are not recorded at all, and body
// summaries go through redact() (secret binding values and assets jwts).

const SECRET_TYPES = new Set(["secret_text", "secret_key"]);
const SECRET_FIELDS = ["text", "key_base64", "key_jwk"];
export const REDACTED = "[redacted]";

/** Deep copy with the values of secret bindings (type secret_text / secret_key) replaced. */
export function redact(value) {
  if (Array.isArray(value)) return value.map(redact);
  if (!value || typeof value !== "object") return value;
  const out = {};
  for (const [k, v] of Object.entries(value)) out[k] = redact(v);
  if (SECRET_TYPES.has(value.type)) for (const f of SECRET_FIELDS) if (f in out) out[f] = REDACTED;
  // the assets completion token of upload metadata (x-sensitive)
  if (typeof out.jwt === "string") out.jwt = REDACTED;
  return out;
}

export class RequestLog {
  constructor(limit = 10000) {
    this.limit = limit;
    this.entries = [];
    this.nextId = 1;
  }

  add(entry) {
    const e = { id: this.nextId++, ...entry };
    this.entries.push(e);
    if (this.entries.length > this.limit) this.entries.shift();
    return e;
  }

  since(id = 0) {
    return this.entries.filter((e) => e.id > id);
  }

  clear() {
    this.entries = [];
  }
}

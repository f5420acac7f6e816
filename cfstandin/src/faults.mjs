// Fault injection for tests: "the next N calls of METHOD PATTERN answer STATUS". With `after`, the call takes
// effect first and only its answer is replaced: a lost answer (a timeout, a proxy's 502) after the write happened.
// Patterns are API paths (below /client/v4) where `*` matches within one segment and `**` across
// segments, e.g. "/accounts/*/workers/scripts/*".
import { CODES } from "./envelope.mjs";

function patternRegex(pattern) {
  const src = pattern
    .split("**")
    .map((part) => part.split("*").map((s) => s.replace(/[.+?^${}()|[\]\\]/g, "\\$&")).join("[^/]*"))
    .join(".*");
  return new RegExp(`^${src}$`);
}

export class Faults {
  constructor() {
    this.rules = [];
    this.nextId = 1;
  }

  /** @param {{method?: string, path: string, count?: number, status: number, retry_after?: number, code?: number, message?: string, after?: boolean}} spec */
  add(spec) {
    const status = Number(spec.status);
    if (!spec.path || typeof spec.path !== "string") throw new Error("path (pattern) is required");
    if (!(status === 429 || (status >= 500 && status <= 599))) throw new Error("status must be 429 or 5xx");
    const rule = {
      id: this.nextId++,
      method: (spec.method ?? "*").toUpperCase(),
      path: spec.path,
      regex: patternRegex(spec.path),
      remaining: Number(spec.count ?? 1),
      status,
      after: spec.after === true,
      retry_after: status === 429 ? Number(spec.retry_after ?? 1) : spec.retry_after,
      code: spec.code ?? (status === 429 ? CODES.RATE_LIMITED : CODES.INTERNAL),
      message: spec.message ?? (status === 429 ? "Please wait and consider throttling your request speed" : "Internal server error (injected by cfstandin)"),
      hits: 0,
    };
    this.rules.push(rule);
    return this.describe(rule);
  }

  describe({ regex, ...rule }) {
    return rule;
  }

  list() {
    return this.rules.map((r) => this.describe(r));
  }

  clear() {
    this.rules = [];
  }

  /** The fault to answer for this call (consuming one use), or null. */
  take(method, path) {
    const rule = this.rules.find((r) => r.remaining > 0 && (r.method === "*" || r.method === method) && r.regex.test(path));
    if (!rule) return null;
    rule.remaining--;
    rule.hits++;
    return rule;
  }
}

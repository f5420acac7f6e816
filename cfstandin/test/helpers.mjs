// Test helpers: an in-process stand-in with a temporary state dir, an API client, fixtures.
import { mkdtempSync } from "node:fs";
import http from "node:http";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { startStandin } from "../src/server.mjs";

export const ACCOUNT = "0123456789abcdef0123456789abcdef";
export const TOKEN = "test-token-123";
export const OTHER_ACCOUNT = "fedcba9876543210fedcba9876543210";
export const OTHER_TOKEN = "other-token-456";

export function tempDir(prefix = "cfstandin-test-") {
  return mkdtempSync(join(tmpdir(), prefix));
}

/** Start a stand-in; `logs` collects every log line it printed. `runtimeLimits`: {maxRuntimes, idleStopMs}. */
export async function start({ stateDir = tempDir(), zones = [], ...runtimeLimits } = {}) {
  const logs = [];
  const standin = await startStandin({
    stateDir,
    accounts: [
      { id: ACCOUNT, tokens: [TOKEN], subdomain: "testsub", zones },
      { id: OTHER_ACCOUNT, tokens: [OTHER_TOKEN] },
    ],
    log: (l) => logs.push(l),
    ...runtimeLimits,
  });
  const api = async (method, path, { json, body, headers = {}, token = TOKEN } = {}) => {
    const h = { ...headers };
    if (token) h.authorization = `Bearer ${token}`;
    if (json !== undefined) h["content-type"] = "application/json";
    const res = await fetch(standin.apiBase + path, { method, headers: h, body: json !== undefined ? JSON.stringify(json) : body });
    const text = await res.text();
    let data = null;
    try {
      data = JSON.parse(text);
    } catch {}
    return { status: res.status, headers: res.headers, data, text };
  };
  return { standin, api, logs, stateDir };
}

/** Source of a Durable Object class counting its requests in its storage (answers the count). */
export const COUNTER_CLASS = `export class Counter {
  constructor(state) { this.state = state; }
  async fetch() {
    const n = ((await this.state.storage.get("n")) ?? 0) + 1;
    await this.state.storage.put("n", n);
    return new Response(String(n));
  }
}
`;

/** A wasm module exporting add(i32, i32) -> i32, written out by hand. */
export const ADD_WASM = Buffer.from([
  0x00, 0x61, 0x73, 0x6d, 0x01, 0x00, 0x00, 0x00, 0x01, 0x07, 0x01, 0x60, 0x02, 0x7f, 0x7f, 0x01, 0x7f, 0x03, 0x02, 0x01, 0x00, 0x07, 0x07, 0x01, 0x03,
  0x61, 0x64, 0x64, 0x00, 0x00, 0x0a, 0x09, 0x01, 0x07, 0x00, 0x20, 0x00, 0x20, 0x01, 0x6a, 0x0b,
]);

/** multipart body like wrangler's (npm-workerd.md §6b): metadata part, then module parts. */
export function uploadForm(metadata, modules) {
  const fd = new FormData();
  fd.set("metadata", JSON.stringify(metadata));
  for (const m of modules) fd.set(m.name, new Blob([m.data], { type: m.type }), m.name);
  return fd;
}

export async function waitFor(fn, { timeout = 10000, interval = 100 } = {}) {
  const end = Date.now() + timeout;
  for (;;) {
    const v = await fn();
    if (v) return v;
    if (Date.now() > end) throw new Error("waitFor timed out");
    await new Promise((r) => setTimeout(r, interval));
  }
}

/** GET through the stand-in's public port with a Host header (fetch cannot set Host). */
export function getWithHost(baseUrl, host, path = "/") {
  return new Promise((resolve, reject) => {
    const u = new URL(baseUrl);
    const req = http.request({ host: u.hostname, port: u.port, path, headers: { host } }, (res) => {
      const chunks = [];
      res.on("data", (c) => chunks.push(c));
      res.on("end", () => resolve({ status: res.statusCode, text: Buffer.concat(chunks).toString("utf8") }));
    });
    req.on("error", reject);
    req.end();
  });
}

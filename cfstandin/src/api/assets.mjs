// Workers static assets (developers.cloudflare.com/workers/static-assets/direct-upload):
//   POST …/workers/scripts/S/assets-upload-session {manifest}  → {jwt, buckets}: only hashes the account lacks
//   POST …/workers/assets/upload?base64=true (Bearer <session jwt>) → 202 {}, or 201 {jwt} once all are there
// and the completion jwt redeemed by the next script upload or version upload (metadata.assets.jwt).
// Assets are kept per account by content hash (accounts/<a>/assets/<hash>), so a fleet uploads the
// same file once. Tokens are opaque random strings; only their sha256 is kept (account.json
// `asset_tokens`), each bound to account + script + manifest, expiring, and a completion token is
// redeemed once.
import { createHash, randomBytes } from "node:crypto";
import { extname } from "node:path";
import blake3 from "blake3-wasm";
import { badRequest, CfError, CODES } from "../envelope.mjs";

export const TOKEN_TTL_MS = 60 * 60 * 1000;
/** Cloudflare's limits (wrangler: MAX_ASSET_SIZE 25 MiB, MAX_ASSET_COUNT_DEFAULT 20,000). */
export const MAX_ASSET_SIZE = 25 * 1024 * 1024;
export const MAX_ASSET_COUNT = 20000;
/** How the stand-in cuts the missing hashes into upload requests (the real API's cut is not documented). */
export const BUCKET_MAX_FILES = 100;
export const BUCKET_MAX_BYTES = 40 * 1024 * 1024;

const HASH = /^[0-9a-f]{32}$/;
const tokenKey = (token) => createHash("sha256").update(token).digest("hex");

/** wrangler's hashFile: the first 32 hex digits of BLAKE3(base64(content) + extension without the dot). */
export function assetHash(path, content) {
  return blake3.hash(content.toString("base64") + extname(path).substring(1)).toString("hex").slice(0, 32);
}

const invalidToken = (what) => new CfError(401, CODES.AUTH, `Authentication error: ${what}`);

function issue(account, record, ttlMs) {
  const token = randomBytes(32).toString("base64url");
  account.asset_tokens ??= {};
  account.asset_tokens[tokenKey(token)] = { ...record, expires_at: Date.now() + ttlMs };
  return token;
}

function prune(account) {
  for (const [k, t] of Object.entries(account.asset_tokens ?? {})) if (t.expires_at <= Date.now()) delete account.asset_tokens[k];
}

/** The hashes of a manifest the account does not hold yet, in manifest order, each once. */
function missing(account, manifest) {
  const held = account.assets ?? {};
  return [...new Set(Object.values(manifest).map((e) => e.hash))].filter((h) => !held[h]);
}

function checkManifest(manifest) {
  const entries = Object.entries(manifest);
  if (entries.length === 0) throw badRequest("manifest: at least one asset is required");
  if (entries.length > MAX_ASSET_COUNT) throw badRequest(`manifest: ${entries.length} assets, at most ${MAX_ASSET_COUNT} are allowed`);
  for (const [path, { hash, size }] of entries) {
    if (!path.startsWith("/") || path.split("/").slice(1).some((s) => s === "" || s === "." || s === "..")) throw badRequest(`manifest: '${path}' is not an asset path (/dir/file)`);
    if (!HASH.test(hash)) throw badRequest(`manifest: hash of '${path}' must be 32 lowercase hex digits`);
    if (!Number.isInteger(size) || size < 0 || size > MAX_ASSET_SIZE) throw badRequest(`manifest: size of '${path}' must be 0 to ${MAX_ASSET_SIZE} bytes`);
  }
}

function buckets(account, manifest) {
  const sizes = new Map(Object.values(manifest).map((e) => [e.hash, e.size]));
  const out = [];
  let bucket = [];
  let bytes = 0;
  for (const h of missing(account, manifest)) {
    if (bucket.length && (bucket.length >= BUCKET_MAX_FILES || bytes + sizes.get(h) > BUCKET_MAX_BYTES)) {
      out.push(bucket);
      bucket = [];
      bytes = 0;
    }
    bucket.push(h);
    bytes += sizes.get(h);
  }
  if (bucket.length) out.push(bucket);
  return out;
}

function createSession({ account, params, body, standin }) {
  const { manifest } = body.json;
  checkManifest(manifest);
  prune(account);
  const ttl = standin.assetTokenTtlMs ?? TOKEN_TTL_MS;
  const cut = buckets(account, manifest);
  // With nothing to upload, the session's token is already the completion token (wrangler relies on it).
  const jwt = issue(account, { kind: cut.length ? "upload" : "completion", script: params.script_name, manifest }, ttl);
  standin.store.save(account.id);
  return { result: { jwt, buckets: cut } };
}

/** The upload session a Bearer token names, for the upload endpoint's authentication (security assets_jwt). */
export function uploadSession(account, token) {
  const record = account?.asset_tokens?.[tokenKey(token ?? "")];
  if (!record || record.kind !== "upload") throw invalidToken("the assets upload token is unknown or already complete");
  if (record.expires_at <= Date.now()) throw invalidToken("the assets upload token has expired");
  return record;
}

async function upload({ account, body, auth, standin }) {
  const session = auth.assetsSession;
  const paths = new Map(); // hash → the manifest paths carrying it
  for (const [path, e] of Object.entries(session.manifest)) paths.set(e.hash, [...(paths.get(e.hash) ?? []), path]);
  const parts = body.multipart?.parts ?? [];
  if (parts.length === 0) throw badRequest("no asset in the upload");
  for (const part of parts) {
    const candidates = paths.get(part.name);
    if (!candidates) throw badRequest(`'${part.name}' is not a hash of this session's manifest`);
    const content = Buffer.from(part.data.toString("latin1"), "base64");
    if (content.toString("base64") !== part.data.toString("latin1").replace(/\s+/g, "")) throw badRequest(`the content of '${part.name}' is not base64`);
    if (!candidates.some((p) => assetHash(p, content) === part.name)) throw badRequest(`the content of '${part.name}' does not hash to '${part.name}'`);
    const size = session.manifest[candidates[0]].size;
    if (content.length !== size) throw badRequest(`the content of '${part.name}' has ${content.length} bytes, the manifest says ${size}`);
    standin.store.writeAsset(account.id, part.name, content);
    account.assets ??= {};
    account.assets[part.name] = { size: content.length, content_type: part.contentType ?? null };
  }
  if (missing(account, session.manifest).length) {
    standin.store.save(account.id);
    return { raw: json(202, {}) };
  }
  // Everything is there: this session's upload token is spent, a completion token takes its place.
  delete account.asset_tokens[tokenKey(auth.assetsToken)];
  const jwt = issue(account, { kind: "completion", script: session.script, manifest: session.manifest }, standin.assetTokenTtlMs ?? TOKEN_TTL_MS);
  standin.store.save(account.id);
  return { raw: json(201, { jwt }) };
}

function json(status, result) {
  return { status, headers: { "content-type": "application/json" }, body: JSON.stringify({ success: true, errors: [], messages: [], result }) };
}

/**
 * Redeems the completion token of an upload's metadata.assets for script `script`: the version's
 * assets `{manifest, config}`. Throws a 10021 error for an unknown, expired, foreign or used token.
 * The token is only spent by `spend` (after the version is kept), so a refused upload can retry.
 */
export function redeem(account, script, assets) {
  const record = account.asset_tokens?.[tokenKey(String(assets?.jwt ?? ""))];
  const refuse = (why) => new CfError(400, CODES.SCRIPT_INVALID, `assets: ${why}`);
  if (!assets?.jwt) throw refuse("metadata.assets needs the completion jwt of an assets upload");
  if (!record || record.kind !== "completion") throw refuse("the completion jwt is unknown or was already used");
  if (record.expires_at <= Date.now()) throw refuse("the completion jwt has expired");
  if (record.script !== script) throw refuse(`the completion jwt was issued for script '${record.script}'`);
  const lacking = missing(account, record.manifest);
  if (lacking.length) throw refuse(`${lacking.length} asset(s) of the manifest are not uploaded`);
  return { manifest: record.manifest, config: assets.config ?? {}, spend: () => delete account.asset_tokens[tokenKey(assets.jwt)] };
}

export const assets = {
  "worker-script-update-create-assets-upload-session": createSession,
  "worker-assets-upload": upload,
};

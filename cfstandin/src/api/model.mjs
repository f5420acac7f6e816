// The Workers script model shared by the upload, versions, deployments, settings and secrets
// endpoints: a script has versions (immutable code + bindings) and deployments (which versions
// serve, by percentage). Every change of code, bindings or secrets makes a new version.
import { createHash, randomBytes, randomUUID } from "node:crypto";
import { badRequest, CfError, CODES, notFound, scriptInvalid } from "../envelope.mjs";
import { checkRunnable } from "../runtime/worker-options.mjs";
import { redeem } from "./assets.mjs";

const now = () => new Date().toISOString();
const hex = (n) => randomBytes(n).toString("hex");

export function getScript(account, name) {
  const doc = account.scripts[name];
  if (!doc) throw new CfError(404, CODES.NOT_FOUND, "This Worker does not exist on your account.");
  return doc;
}

function newScript(name) {
  const t = now();
  return {
    id: name,
    tag: hex(16),
    etag: null,
    created_on: t,
    modified_on: t,
    migration_tag: null,
    do_classes: {},
    settings: { logpush: false, observability: { enabled: false }, tags: [], tail_consumers: [] },
    subdomain: { enabled: false, previews_enabled: false },
    last_deployed_from: "api",
    versions: [],
    deployments: [],
    port: null,
  };
}

/** The version serving the largest share of the latest deployment (null if never deployed). */
export function activeVersion(doc) {
  const d = doc.deployments[0];
  if (!d) return null;
  const top = [...d.versions].sort((a, b) => b.percentage - a.percentage)[0];
  return doc.versions.find((v) => v.id === top.version_id);
}

/** Bindings as the API shows them: secret values never leave the stand-in. */
export function publicBindings(bindings = []) {
  return bindings.map((b) => {
    if (b.type !== "secret_text" && b.type !== "secret_key") return b;
    const { text, key_base64, key_jwk, ...rest } = b;
    return rest;
  });
}

/**
 * The bindings of a new version: the uploaded ones, plus `keep_bindings` types and `inherit`
 * bindings taken from the previous version (how wrangler keeps secrets across deploys).
 */
export function resolveBindings(doc, metadata, { strict = false } = {}) {
  const previous = (doc && (activeVersion(doc) ?? doc.versions[0])?.metadata.bindings) ?? [];
  const out = [];
  for (const b of metadata.bindings ?? []) {
    if (b.type !== "inherit") {
      out.push(b);
      continue;
    }
    const old = previous.find((p) => p.name === (b.old_name ?? b.name));
    if (old) out.push({ ...old, name: b.name });
    else if (strict) throw scriptInvalid(`inherit binding '${b.name}' has nothing to inherit from the previous version`);
  }
  const keep = new Set(metadata.keep_bindings ?? []);
  for (const p of previous) if (keep.has(p.type) && !out.some((b) => b.name === p.name)) out.push(p);
  const names = new Set();
  for (const b of out) {
    if (names.has(b.name)) throw scriptInvalid(`binding name '${b.name}' is used twice`);
    names.add(b.name);
  }
  return out;
}

/** Every KV namespace, R2 bucket and D1 database a binding names must exist in the account. */
function checkResources(account, bindings) {
  for (const b of bindings) {
    if (b.type === "kv_namespace" && !account.kv[b.namespace_id]) throw scriptInvalid(`binding '${b.name}': KV namespace '${b.namespace_id}' not found`);
    if (b.type === "r2_bucket" && !account.r2[b.bucket_name]) throw scriptInvalid(`binding '${b.name}': R2 bucket '${b.bucket_name}' not found`);
    if (b.type === "d1" && !account.d1[b.id]) throw scriptInvalid(`binding '${b.name}': D1 database '${b.id}' not found`);
  }
}

/** Apply upload migrations to the script's Durable Object classes; returns the new class set and tag. */
export function applyMigrations(doc, migrations) {
  const classes = structuredClone(doc?.do_classes ?? {});
  let tag = doc?.migration_tag ?? null;
  if (!migrations) return { classes, tag };
  if ((migrations.old_tag ?? null) !== tag) {
    throw new CfError(400, CODES.SCRIPT_INVALID, `migration precondition failed: old_tag is ${JSON.stringify(migrations.old_tag ?? null)} but the script's migration tag is ${JSON.stringify(tag)}`);
  }
  const steps = migrations.steps ?? [migrations];
  for (const step of steps) {
    if (step.renamed_classes?.length || step.transferred_classes?.length) throw scriptInvalid("renamed_classes and transferred_classes migrations are not supported by cfstandin");
    for (const c of step.new_classes ?? []) classes[c] = { sqlite: false };
    for (const c of step.new_sqlite_classes ?? []) classes[c] = { sqlite: true };
    for (const c of step.deleted_classes ?? []) {
      if (!classes[c]) throw scriptInvalid(`deleted_classes: class '${c}' does not exist`);
      delete classes[c];
    }
  }
  tag = migrations.new_tag ?? tag;
  return { classes, tag };
}

/** Module parts of an upload: every part that is not a schema field (metadata). */
export function uploadModules(body) {
  if (body.script) return { modules: [{ name: "worker.js", content_type: "application/javascript", data: body.script }], bodyPart: "worker.js" };
  const fields = new Set(Object.keys(body.multipart.fields));
  const modules = body.multipart.parts
    .filter((p) => !fields.has(p.name))
    // Cloudflare names modules without the "./" wrangler puts in front of additional modules.
    .map((p) => ({ name: p.name.replace(/^\.\//, ""), content_type: p.contentType ?? "application/octet-stream", data: p.data }));
  return { modules, bodyPart: null };
}

const sourceOf = (req) => (/wrangler/i.test(req.headers["user-agent"] ?? "") ? "wrangler" : "api");

/**
 * Create a version and, with `deploy`, deploy it at 100%. The runtime is started before the
 * change is kept, so a script that fails to start leaves the previous state untouched (10021).
 * @returns {Promise<{doc, version, startupMs}>}
 */
/**
 * The static assets of a new version: redeemed from metadata.assets.jwt, kept from the previous
 * version with keep_assets, or given (`inherited`, for versions derived by settings and secrets).
 */
function versionAssets(account, name, existing, metadata, inherited) {
  if (inherited !== undefined) return { assets: inherited, spend: () => {} };
  if (metadata.assets) {
    const { manifest, config, spend } = redeem(account, name, metadata.assets);
    return { assets: { manifest, config }, spend };
  }
  if (metadata.keep_assets) {
    const previous = existing && (activeVersion(existing) ?? existing.versions[0]);
    if (!previous?.assets) throw scriptInvalid("keep_assets: the Worker has no assets to keep");
    return { assets: previous.assets, spend: () => {} };
  }
  return { assets: null, spend: () => {} };
}

export async function createVersion(ctx, name, { metadata, modules, migrations, deploy, triggeredBy, bindings, assets: inheritedAssets }) {
  const { account, standin, req } = ctx;
  const existing = account.scripts[name];
  const doc = existing ? structuredClone(existing) : newScript(name);
  const resolved = bindings ?? resolveBindings(existing, metadata, { strict: ctx.query?.get("bindings_inherit") === "strict" });
  checkResources(account, resolved);
  const { classes, tag } = applyMigrations(doc, migrations);
  const mainModule = metadata.main_module ?? metadata.body_part;
  const { assets, spend } = versionAssets(account, name, existing, metadata, inheritedAssets);
  checkRunnable({ ...metadata, bindings: resolved }, modules, classes, assets);

  const id = randomUUID();
  const created = now();
  const source = sourceOf(req);
  const annotations = { ...(metadata.annotations ?? {}), "workers/triggered_by": triggeredBy };
  const stored = standin.store.writeModules(account.id, name, id, modules);
  if (assets) standin.store.linkVersionAssets(account.id, name, id, assets.manifest);
  // the assets jwt is spent by this upload and never kept; the version carries its manifest and config
  const { main_module, body_part, bindings: _b, keep_bindings, migrations: _m, annotations: _a, assets: _s, keep_assets: _k, ...rest } = metadata;
  const version = {
    id,
    number: (doc.versions[0]?.number ?? 0) + 1,
    created_on: created,
    source,
    annotations,
    metadata: { ...rest, [metadata.main_module ? "main_module" : "body_part"]: mainModule, bindings: resolved },
    modules: stored,
    assets,
    etag: createHash("sha256").update(JSON.stringify(stored.map((m) => [m.name, m.size])) + id).digest("hex"),
  };
  for (const k of ["logpush", "observability", "tags", "tail_consumers"]) if (k in metadata) doc.settings[k] = metadata[k];
  Object.assign(doc, { do_classes: classes, migration_tag: tag, modified_on: created, etag: version.etag, last_deployed_from: source });
  doc.versions.unshift(version);
  if (deploy) doc.deployments.unshift(newDeployment([{ version_id: id, percentage: 100 }], source, { "workers/triggered_by": triggeredBy, ...(metadata.annotations?.["workers/message"] ? { "workers/message": metadata.annotations["workers/message"] } : {}) }));

  let startupMs;
  try {
    startupMs = await commit(ctx, name, doc, existing, () => (deploy ? null : standin.runtimes.check(account.id, name, doc, id)));
  } catch (e) {
    standin.store.deleteVersionFiles(account.id, name, id);
    throw e;
  }
  version.startup_time_ms = startupMs;
  spend();
  standin.store.save(account.id);
  return { doc: account.scripts[name], version, startupMs };
}

/** A version's modules with their contents, to build a derived version (settings, secrets). */
export function modulesOf(ctx, name, version) {
  return version.modules.map((m) => ({ name: m.name, content_type: m.content_type, data: ctx.standin.store.readModule(ctx.account.id, name, version.id, m) }));
}

export function newDeployment(versions, source, annotations) {
  return { id: randomUUID(), source, strategy: "percentage", versions, created_on: now(), author_email: "cfstandin@localhost", annotations };
}

/**
 * Keep `doc` as the script's new state if its runtime starts; otherwise restore `previous`.
 * `check` validates without deploying (versions upload); it returns the startup time.
 */
export async function commit(ctx, name, doc, previous, check = () => null) {
  const { account, standin } = ctx;
  account.scripts[name] = doc;
  try {
    const checked = await check();
    if (checked !== null) return checked;
    const entry = await standin.runtimes.apply(account.id, name);
    return entry?.startupMs ?? 0;
  } catch (e) {
    if (previous) account.scripts[name] = previous;
    else {
      delete account.scripts[name];
      standin.store.deleteScriptFiles(account.id, name);
    }
    throw e;
  }
}

/** The upload response (workers_script-response-upload). */
export function scriptView(doc, { startupMs, versionId } = {}) {
  const v = activeVersion(doc) ?? doc.versions[0];
  return {
    id: doc.id,
    tag: doc.tag,
    tags: doc.settings.tags,
    etag: doc.etag,
    created_on: doc.created_on,
    modified_on: doc.modified_on,
    has_assets: Boolean(v?.assets),
    has_modules: Boolean(v?.metadata.main_module),
    ...(doc.migration_tag ? { migration_tag: doc.migration_tag } : {}),
    compatibility_date: v?.metadata.compatibility_date,
    compatibility_flags: v?.metadata.compatibility_flags ?? [],
    logpush: doc.settings.logpush,
    observability: doc.settings.observability,
    tail_consumers: doc.settings.tail_consumers,
    usage_model: v?.metadata.usage_model ?? "standard",
    last_deployed_from: doc.last_deployed_from,
    entry_point: v?.metadata.main_module ?? v?.metadata.body_part,
    ...(startupMs !== undefined ? { startup_time_ms: startupMs } : {}),
    // The upload answer names the new version here (wrangler prints it as "Current Version ID").
    ...(versionId ? { deployment_id: versionId } : {}),
  };
}

export { badRequest, notFound };

// Worker scripts: upload (deploys), download, list, delete, settings, script-settings, secrets,
// workers.dev subdomain and the services lookup wrangler starts a deploy with.
import { rmSync } from "node:fs";
import { join } from "node:path";
import { badRequest, CfError, CODES, notFound } from "../envelope.mjs";
import { buildMultipart } from "../multipart.mjs";
import { doUniqueKey } from "../runtime/worker-options.mjs";
import { activeVersion, createVersion, getScript, modulesOf, publicBindings, resolveBindings, scriptView, uploadModules } from "./model.mjs";

async function upload(ctx) {
  const { modules, bodyPart } = uploadModules(ctx.body);
  const metadata = ctx.body.multipart?.fields.metadata ?? { body_part: bodyPart };
  const { doc, version, startupMs } = await createVersion(ctx, ctx.params.script_name, { metadata, modules, migrations: metadata.migrations, deploy: true, triggeredBy: "upload" });
  return { result: scriptView(doc, { startupMs, versionId: version.id }) };
}

function download({ account, params, standin }) {
  const doc = getScript(account, params.script_name);
  const v = activeVersion(doc) ?? doc.versions[0];
  const read = (m) => standin.store.readModule(account.id, doc.id, v.id, m);
  if (v.metadata.body_part) {
    return { raw: { headers: { "content-type": "application/javascript" }, body: read(v.modules[0]) } };
  }
  const { body, contentType } = buildMultipart(v.modules.map((m) => ({ name: m.name, filename: m.name, contentType: m.content_type, data: read(m) })));
  return { raw: { headers: { "content-type": contentType }, body } };
}

function list({ account, query }) {
  let docs = Object.values(account.scripts);
  // tags=a:yes,b:no keeps scripts that have every "yes" tag and no "no" tag.
  for (const filter of (query.get("tags") ?? "").split(",").filter(Boolean)) {
    const [tag, want] = filter.split(":");
    docs = docs.filter((d) => d.settings.tags.includes(tag) === (want !== "no"));
  }
  return { result: docs.map((d) => scriptView(d)) };
}

async function remove({ account, params, standin }) {
  const doc = getScript(account, params.script_name);
  // Gone from the model first, so a request arriving meanwhile does not start the runtime again.
  for (const r of Object.values(account.routes)) if (r.script === doc.id) delete r.script;
  delete account.scripts[doc.id];
  await standin.runtimes.remove(account.id, doc.id);
  // Deleting a Worker deletes its Durable Object namespaces and their storage.
  for (const cls of Object.keys(doc.do_classes)) rmSync(join(standin.store.runtimeDir("do"), doUniqueKey(account.id, doc.id, cls)), { recursive: true, force: true });
  standin.store.deleteScriptFiles(account.id, doc.id);
  standin.store.save(account.id);
  return { result: null };
}

function settingsView(doc) {
  const v = activeVersion(doc) ?? doc.versions[0];
  const md = v?.metadata ?? {};
  return {
    bindings: publicBindings(md.bindings),
    compatibility_date: md.compatibility_date,
    compatibility_flags: md.compatibility_flags ?? [],
    ...(md.limits ? { limits: md.limits } : {}),
    ...(md.placement ? { placement: md.placement } : {}),
    logpush: doc.settings.logpush,
    observability: doc.settings.observability,
    tags: doc.settings.tags,
    tail_consumers: doc.settings.tail_consumers,
    usage_model: md.usage_model ?? "standard",
  };
}

function getSettings({ account, params }) {
  return { result: settingsView(getScript(account, params.script_name)) };
}

const SCRIPT_LEVEL = ["logpush", "observability", "tags", "tail_consumers"];
const VERSION_LEVEL = ["bindings", "compatibility_date", "compatibility_flags", "limits", "placement", "usage_model", "migrations"];

/**
 * Before schema validation of PATCH settings: bindings listed without their value (type+name, as
 * `wrangler secret bulk` sends the existing ones, npm-workerd.md §6c) mean "keep this binding";
 * they are replaced by the stored binding so the result is checked like any binding list.
 */
function fillBindingReferences(instance, { account, params }) {
  const doc = account.scripts[params.script_name];
  const current = (doc && (activeVersion(doc) ?? doc.versions[0])?.metadata.bindings) ?? [];
  if (!Array.isArray(instance.settings?.bindings)) return;
  instance.settings.bindings = instance.settings.bindings.map((b) => {
    if (Object.keys(b).some((k) => k !== "name" && k !== "type")) return b;
    const old = current.find((o) => o.name === b.name && o.type === b.type);
    if (!old) throw badRequest(`binding '${b.name}' (${b.type}) has no value and the Worker has no such binding to keep`);
    return old;
  });
}

/**
 * PATCH settings: script-level fields change in place; binding, compatibility or migration changes
 * make a new version from the active one and deploy it (as the real API does).
 */
async function patchSettings(ctx) {
  const { account, params } = ctx;
  const doc = getScript(account, params.script_name);
  const settings = ctx.body.multipart.fields.settings ?? {};
  for (const k of SCRIPT_LEVEL) if (k in settings) doc.settings[k] = settings[k];
  if (VERSION_LEVEL.some((k) => k in settings)) {
    const base = activeVersion(doc) ?? doc.versions[0];
    if (!base) throw badRequest("the Worker has no version to change");
    const { bindings, migrations, ...fields } = settings;
    const metadata = { ...base.metadata, ...Object.fromEntries(Object.entries(fields).filter(([k]) => VERSION_LEVEL.includes(k))), annotations: {} };
    await createVersion(ctx, doc.id, {
      metadata,
      modules: modulesOf(ctx, doc.id, base),
      migrations,
      bindings: bindings ? resolveBindings(doc, { bindings }) : base.metadata.bindings,
      assets: base.assets ?? null,
      deploy: true,
      triggeredBy: "settings",
    });
  } else ctx.standin.store.save(account.id);
  return { result: settingsView(account.scripts[doc.id]) };
}

function getScriptSettings({ account, params }) {
  const doc = getScript(account, params.script_name);
  return { result: Object.fromEntries(SCRIPT_LEVEL.map((k) => [k, doc.settings[k]])) };
}

function patchScriptSettings({ account, params, body, standin }) {
  const doc = getScript(account, params.script_name);
  for (const k of SCRIPT_LEVEL) if (k in body.json) doc.settings[k] = body.json[k];
  standin.store.save(account.id);
  return { result: Object.fromEntries(SCRIPT_LEVEL.map((k) => [k, doc.settings[k]])) };
}

/** Secrets live in the version's bindings; changing one deploys a new version from the active one. */
async function changeSecrets(ctx, change) {
  const doc = getScript(ctx.account, ctx.params.script_name);
  if (doc.deployments[0]?.versions.length > 1) throw new CfError(400, CODES.BAD_REQUEST, "secrets cannot change while a gradual deployment (two versions) is active");
  const base = activeVersion(doc);
  if (!base) throw badRequest("the Worker has no deployed version");
  const bindings = change(base.metadata.bindings);
  await createVersion(ctx, doc.id, { metadata: { ...base.metadata, annotations: {} }, modules: modulesOf(ctx, doc.id, base), bindings, assets: base.assets ?? null, deploy: true, triggeredBy: "secret" });
}

const secretView = ({ name, type }) => ({ name, type });

async function putSecret(ctx) {
  const secret = ctx.body.json;
  await changeSecrets(ctx, (bindings) => [...bindings.filter((b) => b.name !== secret.name), secret]);
  return { result: secretView(secret) };
}

function listSecrets({ account, params }) {
  const v = activeVersion(getScript(account, params.script_name));
  return { result: (v?.metadata.bindings ?? []).filter((b) => b.type === "secret_text" || b.type === "secret_key").map(secretView) };
}

function findSecret({ account, params, query }) {
  const v = activeVersion(getScript(account, params.script_name));
  const name = query.get("url_encoded") === "true" ? decodeURIComponent(params.secret_name) : params.secret_name;
  const s = (v?.metadata.bindings ?? []).find((b) => b.name === name && (b.type === "secret_text" || b.type === "secret_key"));
  if (!s) throw notFound("secret not found");
  return s;
}

function getSecret(ctx) {
  return { result: secretView(findSecret(ctx)) };
}

async function deleteSecret(ctx) {
  const secret = findSecret(ctx);
  await changeSecrets(ctx, (bindings) => bindings.filter((b) => b.name !== secret.name));
  return { result: null };
}

function getAccountSubdomain({ account }) {
  if (!account.subdomain) throw notFound("This account does not have a workers.dev subdomain");
  return { result: { subdomain: account.subdomain } };
}

function putAccountSubdomain({ account, body, standin }) {
  account.subdomain = body.json.subdomain;
  standin.store.save(account.id);
  return { result: { subdomain: account.subdomain } };
}

function getScriptSubdomain({ account, params }) {
  return { result: getScript(account, params.script_name).subdomain };
}

function postScriptSubdomain({ account, params, body, standin }) {
  const doc = getScript(account, params.script_name);
  doc.subdomain = { enabled: body.json.enabled, previews_enabled: body.json.previews_enabled ?? doc.subdomain.previews_enabled };
  standin.store.save(account.id);
  return { result: doc.subdomain };
}

function deleteScriptSubdomain({ account, params, standin }) {
  const doc = getScript(account, params.script_name);
  doc.subdomain = { enabled: false, previews_enabled: false };
  standin.store.save(account.id);
  return { result: null };
}

function getService({ account, params }) {
  const doc = getScript(account, params.script_name);
  const script = scriptView(doc);
  return {
    result: {
      id: doc.id,
      default_environment: { environment: "production", created_on: doc.created_on, modified_on: doc.modified_on, script },
      environments: [{ environment: "production", created_on: doc.created_on, modified_on: doc.modified_on }],
      created_on: doc.created_on,
      modified_on: doc.modified_on,
    },
  };
}

/** Body fix-ups that run before schema validation, by operationId. */
export const preprocessors = {
  "worker-script-patch-settings": fillBindingReferences,
};

export const scripts = {
  "worker-script-upload-worker-module": upload,
  "worker-script-download-worker": download,
  "worker-script-list-workers": list,
  "worker-script-delete-worker": remove,
  "worker-script-get-settings": getSettings,
  "worker-script-patch-settings": patchSettings,
  "worker-script-settings-get-settings": getScriptSettings,
  "worker-script-settings-patch-settings": patchScriptSettings,
  "worker-put-script-secret": putSecret,
  "worker-list-script-secrets": listSecrets,
  "worker-get-script-secret": getSecret,
  "worker-delete-script-secret": deleteSecret,
  "worker-subdomain-get-subdomain": getAccountSubdomain,
  "worker-subdomain-create-subdomain": putAccountSubdomain,
  "worker-script-get-subdomain": getScriptSubdomain,
  "worker-script-post-subdomain": postScriptSubdomain,
  "worker-script-delete-subdomain": deleteScriptSubdomain,
  "worker-service-get": getService,
};

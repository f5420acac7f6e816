// Worker versions (upload without deploying, list, detail) and deployments (percentage split).
import { badRequest, CfError, CODES, notFound, paginate } from "../envelope.mjs";
import { commit, createVersion, getScript, newDeployment, publicBindings, uploadModules } from "./model.mjs";

function versionShort(v) {
  return {
    id: v.id,
    number: v.number,
    metadata: { author_email: "cfstandin@localhost", author_id: "cfstandin", created_on: v.created_on, modified_on: v.created_on, source: v.source, hasPreview: false },
  };
}

export function versionFull(doc, v) {
  const { bindings, compatibility_date, compatibility_flags, usage_model, limits, main_module, body_part } = v.metadata;
  return {
    ...versionShort(v),
    annotations: v.annotations,
    resources: {
      bindings: publicBindings(bindings),
      script: { etag: v.etag, last_deployed_from: doc.last_deployed_from },
      script_runtime: { compatibility_date, compatibility_flags: compatibility_flags ?? [], usage_model: usage_model ?? "standard", ...(limits ? { limits } : {}) },
    },
    main_module: main_module ?? body_part,
    ...(v.startup_time_ms !== undefined ? { startup_time_ms: v.startup_time_ms } : {}),
  };
}

async function uploadVersion(ctx) {
  getScript(ctx.account, ctx.params.script_name); // versions belong to an existing Worker
  const { metadata } = ctx.body.multipart.fields;
  const { modules } = uploadModules(ctx.body);
  const { doc, version } = await createVersion(ctx, ctx.params.script_name, { metadata, modules, deploy: false, triggeredBy: "version_upload" });
  return { result: versionFull(doc, version) };
}

function listVersions({ account, params, query }) {
  const doc = getScript(account, params.script_name);
  const { result, resultInfo } = paginate(doc.versions.map(versionShort), query, { defaultPerPage: 10 });
  return { result: { items: result }, resultInfo };
}

function getVersion({ account, params }) {
  const doc = getScript(account, params.script_name);
  const v = doc.versions.find((x) => x.id === params.version_id);
  if (!v) throw notFound("version not found");
  return { result: versionFull(doc, v) };
}

function listDeployments({ account, params }) {
  const doc = getScript(account, params.script_name);
  return { result: { deployments: doc.deployments } };
}

function getDeployment({ account, params }) {
  const d = getScript(account, params.script_name).deployments.find((x) => x.id === params.deployment_id);
  if (!d) throw notFound("deployment not found");
  return { result: d };
}

async function createDeployment(ctx) {
  const { account, params, body } = ctx;
  const existing = getScript(account, params.script_name);
  const { versions, annotations } = body.json;
  if (versions.length < 1 || versions.length > 2) throw badRequest("a deployment has one or two versions");
  const total = versions.reduce((n, v) => n + v.percentage, 0);
  if (Math.abs(total - 100) > 1e-9) throw badRequest(`version percentages must add up to 100, got ${total}`);
  for (const v of versions) if (!existing.versions.some((x) => x.id === v.version_id)) throw notFound(`version ${v.version_id} not found`);
  if (new Set(versions.map((v) => v.version_id)).size !== versions.length) throw badRequest("a version appears twice in the deployment");
  const doc = structuredClone(existing);
  const source = /wrangler/i.test(ctx.req.headers["user-agent"] ?? "") ? "wrangler" : "api";
  const deployment = newDeployment(versions.map(({ version_id, percentage }) => ({ version_id, percentage })), source, { ...(annotations ?? {}), "workers/triggered_by": "deployment" });
  doc.deployments.unshift(deployment);
  await commit(ctx, params.script_name, doc, existing);
  ctx.standin.store.save(account.id);
  return { result: deployment };
}

function deleteDeployment({ account, params, standin }) {
  const doc = getScript(account, params.script_name);
  const i = doc.deployments.findIndex((x) => x.id === params.deployment_id);
  if (i < 0) throw notFound("deployment not found");
  if (i === 0) throw new CfError(400, CODES.BAD_REQUEST, "the latest (active) deployment cannot be deleted");
  doc.deployments.splice(i, 1);
  standin.store.save(account.id);
  return { result: null };
}

export const versions = {
  "worker-versions-upload-version": uploadVersion,
  "worker-versions-list-versions": listVersions,
  "worker-versions-get-version-detail": getVersion,
  "worker-deployments-list-deployments": listDeployments,
  "worker-deployments-get-deployment": getDeployment,
  "worker-deployments-create-deployment": createDeployment,
  "worker-deployments-delete-deployment": deleteDeployment,
};

// R2 buckets (account state; objects live in the storage hub).
import { CfError, CODES } from "../envelope.mjs";

const view = ({ name, creation_date, location, storage_class }) => ({ name, creation_date, location, storage_class });

function bucket(account, name) {
  const b = account.r2[name];
  if (!b) throw new CfError(404, CODES.NOT_FOUND, "The specified bucket does not exist.");
  return b;
}

function listBuckets({ account, query }) {
  const dir = query.get("direction") === "desc" ? -1 : 1;
  let items = Object.values(account.r2).map(view).sort((a, b) => dir * a.name.localeCompare(b.name));
  if (query.has("name_contains")) items = items.filter((b) => b.name.includes(query.get("name_contains")));
  const after = query.get("start_after") ?? query.get("cursor");
  if (after) items = items.filter((b) => (dir === 1 ? b.name > after : b.name < after));
  const perPage = Number(query.get("per_page") ?? 20);
  const page = items.slice(0, perPage);
  // The current API answers {buckets: [...]} (what wrangler 4.86.0 reads); the 2024 schema in the
  // OpenAPI file still shows a bare array (README "Differences").
  return { result: { buckets: page }, resultInfo: { per_page: perPage, ...(items.length > perPage ? { cursor: page[page.length - 1].name } : {}) } };
}

function createBucket({ account, body, standin }) {
  const { name, locationHint, storageClass } = body.json;
  if (account.r2[name]) throw new CfError(409, CODES.CONFLICT, "The bucket you tried to create already exists, and you own it.");
  account.r2[name] = { name, creation_date: new Date().toISOString(), location: locationHint ?? "enam", storage_class: storageClass ?? "Standard" };
  standin.store.save(account.id);
  return { result: view(account.r2[name]) };
}

function getBucket({ account, params }) {
  return { result: view(bucket(account, params.bucket_name)) };
}

async function deleteBucket({ account, params, standin }) {
  bucket(account, params.bucket_name);
  const objects = await (await standin.hub.r2(params.bucket_name)).list({ limit: 1 });
  if (objects.objects.length) throw new CfError(409, CODES.CONFLICT, "The bucket you tried to delete is not empty.");
  delete account.r2[params.bucket_name];
  standin.store.save(account.id);
  return { result: {} };
}

export const r2 = {
  "r2-list-buckets": listBuckets,
  "r2-create-bucket": createBucket,
  "r2-get-bucket": getBucket,
  "r2-delete-bucket": deleteBucket,
};

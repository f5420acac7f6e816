// The Cloudflare v4 response envelope and the error codes the stand-in answers with.
// Codes come from shared/reference/cloudflare-api.md (x-cfLinkErrors of the script upload and the
// failure schema's example) where it names them; the others are the codes the real API is known to
// return for the same condition (e.g. wrangler treats 10007 on services/S as "no such Worker").

export const CODES = {
  AUTH: 10000, // authentication error (bad or missing token, token not valid for the account)
  UNSUPPORTED_CONTENT_TYPE: 10001,
  INTERNAL: 10002,
  NOT_FOUND: 10007,
  BAD_REQUEST: 10013, // request failed schema validation
  SCRIPT_INVALID: 10021, // script content failed validation (startup error, missing module, bad binding)
  NO_ROUTE: 7003, // no route for the URI (the failure schema's example)
  METHOD_NOT_ALLOWED: 10405,
  CONFLICT: 10014,
  RATE_LIMITED: 971, // "Please wait and consider throttling your request speed"
  NOT_IMPLEMENTED: 10500,
  TOKEN_INVALID: 1000, // /user/tokens/verify: Invalid API Token
};

export class CfError extends Error {
  /** @param {number} status HTTP status  @param {number} code Cloudflare error code */
  constructor(status, code, message, headers = {}) {
    super(message);
    this.status = status;
    this.code = code;
    this.headers = headers;
  }
}

export const notFound = (what) => new CfError(404, CODES.NOT_FOUND, what);
export const badRequest = (message) => new CfError(400, CODES.BAD_REQUEST, message);
export const scriptInvalid = (message) => new CfError(400, CODES.SCRIPT_INVALID, message);

export function success(result, resultInfo) {
  const body = { success: true, errors: [], messages: [], result };
  if (resultInfo) body.result_info = resultInfo;
  return body;
}

export function failure(errors) {
  return { success: false, errors, messages: [], result: null };
}

/** page/per_page pagination of an array, with the page-style result_info. */
export function paginate(items, searchParams, { defaultPerPage = 20 } = {}) {
  const perPage = Number(searchParams.get("per_page") ?? defaultPerPage);
  const page = Number(searchParams.get("page") ?? 1);
  const start = (page - 1) * perPage;
  const result = items.slice(start, start + perPage);
  return {
    result,
    resultInfo: { page, per_page: perPage, count: result.length, total_count: items.length, total_pages: Math.max(1, Math.ceil(items.length / perPage)) },
  };
}

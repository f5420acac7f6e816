// Request validation against the Cloudflare OpenAPI file (plus spec/standin-extensions.json).
//
// Every request is matched to an operation (path template + method); its path and query parameters
// and its body are checked with Ajv against the operation's own schemas. The schemas are adapted to
// the *request* context of OpenAPI 3.0 before compiling (see prepareForRequests).
import Ajv from "ajv";
import addFormats from "ajv-formats";
import { readFileSync } from "node:fs";

const METHODS = ["get", "put", "post", "patch", "delete", "head"];
const DOC_ID = "cf.json";

/** Deep-copy a schema tree, adapting OpenAPI 3.0 constructs Ajv would misjudge for requests. */
export function prepareForRequests(node) {
  if (Array.isArray(node)) return node.map(prepareForRequests);
  if (!node || typeof node !== "object") return node;
  const out = {};
  for (const [k, v] of Object.entries(node)) out[k] = prepareForRequests(v);
  // readOnly properties are server-assigned: OpenAPI says they must not be required in requests
  // (workers_deployment lists id/source/created_on as required).
  if (Array.isArray(out.required) && out.properties) {
    out.required = out.required.filter((p) => !out.properties[p]?.readOnly);
  }
  if (out.oneOf && out.discriminator?.mapping) {
    // A discriminated union (bindings, secrets): pick the branch by the tag so a bad binding gets
    // that branch's error instead of 31 "must match" errors.
    const { propertyName: tag, mapping } = out.discriminator;
    delete out.oneOf;
    delete out.discriminator;
    out.required = [...new Set([...(out.required ?? []), tag])];
    out.properties = { ...(out.properties ?? {}), [tag]: { type: "string", enum: Object.keys(mapping) } };
    out.allOf = [
      ...(out.allOf ?? []),
      ...Object.entries(mapping).map(([value, ref]) => ({ if: { properties: { [tag]: { const: value } }, required: [tag] }, then: { $ref: ref } })),
    ];
  } else if (out.oneOf) {
    // Cloudflare's oneOf alternatives overlap (e.g. single-step vs multi-step migrations both accept
    // {new_tag, steps}); the real API accepts such payloads, so "at least one" is the honest reading.
    out.anyOf = out.oneOf;
    delete out.oneOf;
  }
  return out;
}

function templateRegex(template) {
  const names = [];
  const src = template
    .split("/")
    .map((seg) => {
      const m = /^\{(.+)\}$/.exec(seg);
      if (!m) return seg.replace(/[.*+?^${}()|[\]\\]/g, "\\$&");
      names.push(m[1]);
      return "([^/]+)";
    })
    .join("/");
  return { regex: new RegExp(`^${src}$`), names, literals: template.split("/").filter((s) => s && !s.startsWith("{")).length };
}

function resolveRef(doc, obj) {
  if (!obj?.$ref) return obj;
  return obj.$ref.split("/").slice(1).reduce((o, k) => o[k], doc);
}

function describeErrors(errors, where) {
  const e = errors[0];
  const path = e.instancePath ? e.instancePath.slice(1).replace(/\//g, ".") : "";
  const extra = e.keyword === "enum" ? ` (${e.params.allowedValues.join(", ")})` : e.keyword === "additionalProperties" ? ` (${e.params.additionalProperty})` : "";
  return `${where}${path ? "." + path : ""} ${e.message}${extra}`;
}

export class OpenApi {
  /** @param {{official: string, extensions?: string}} files */
  constructor(files) {
    const official = JSON.parse(readFileSync(files.official, "utf8"));
    const ext = files.extensions ? JSON.parse(readFileSync(files.extensions, "utf8")) : { paths: {} };
    this.securitySchemes = official.components.securitySchemes;
    this.operations = [];
    const definitions = {};
    for (const [source, doc] of [["official", official], ["extension", ext]]) {
      for (const [template, item] of Object.entries(doc.paths)) {
        for (const method of METHODS) {
          const op = item[method];
          if (!op) continue;
          if (source === "extension" && official.paths[template]?.[method]) throw new Error(`extension redefines ${method} ${template}`);
          const key = `${method}_${template}`.replace(/[^A-Za-z0-9_]/g, "_");
          const params = (op.parameters ?? []).map((p) => resolveRef(official, p));
          definitions[`${key}__params`] = {
            type: "object",
            properties: Object.fromEntries(params.map((p) => [`${p.in}:${p.name}`, p.schema ?? {}])),
            required: params.filter((p) => p.required).map((p) => `${p.in}:${p.name}`),
          };
          const body = resolveRef(official, op.requestBody);
          const contents = {};
          for (const [ct, media] of Object.entries(body?.content ?? {})) {
            if (media.schema) definitions[`${key}__${ct.replace(/[^a-z]/g, "_")}`] = media.schema;
            contents[ct] = { hasSchema: Boolean(media.schema), def: `${key}__${ct.replace(/[^a-z]/g, "_")}`, schema: media.schema };
          }
          this.operations.push({
            method: method.toUpperCase(),
            template,
            operationId: op.operationId,
            source,
            security: op.security ?? official.security,
            params,
            body: body ? { required: Boolean(body.required), contents } : null,
            key,
            ...templateRegex(template),
          });
        }
      }
    }
    // Most literal segments first, so /workers/subdomain wins over /workers/{x} style templates.
    this.operations.sort((a, b) => b.literals - a.literals);
    const doc = prepareForRequests({ $id: DOC_ID, components: { schemas: official.components.schemas }, definitions });
    const mk = (coerce) => {
      const ajv = new Ajv({ strict: false, allErrors: false, coerceTypes: coerce, validateFormats: true });
      addFormats(ajv);
      ajv.addFormat("binary", true);
      ajv.addSchema(doc);
      return ajv;
    };
    this.ajvBody = mk(false);
    this.ajvParams = mk(true); // query and path values arrive as strings
    this.cache = new Map();
  }

  #validator(ajv, def) {
    const id = `${ajv === this.ajvParams ? "p" : "b"}:${def}`;
    if (!this.cache.has(id)) this.cache.set(id, ajv.getSchema(`${DOC_ID}#/definitions/${def}`));
    return this.cache.get(id);
  }

  /** @returns {{op, pathParams: Record<string,string>} | {pathExists: boolean}} */
  match(method, pathname) {
    let pathExists = false;
    for (const op of this.operations) {
      const m = op.regex.exec(pathname);
      if (!m) continue;
      pathExists = true;
      if (op.method !== method) continue;
      const pathParams = {};
      op.names.forEach((n, i) => (pathParams[n] = decodeURIComponent(m[i + 1])));
      return { op, pathParams };
    }
    return { pathExists };
  }

  /** Path and query parameters; returns an error message or null. Unknown query parameters are ignored, as the API does. */
  checkParams(op, pathParams, searchParams) {
    const instance = {};
    for (const [k, v] of Object.entries(pathParams)) instance[`path:${k}`] = v;
    for (const p of op.params) if (p.in === "query" && searchParams.has(p.name)) instance[`query:${p.name}`] = searchParams.get(p.name);
    const validate = this.#validator(this.ajvParams, `${op.key}__params`);
    if (validate(instance)) return null;
    const e = validate.errors[0];
    const name = (e.params.missingProperty ?? e.instancePath.slice(1)).split(":");
    return `${name[0] === "path" ? "path parameter" : "query parameter"} '${name[1]}' ${e.keyword === "required" ? "is required" : e.message}`;
  }

  /** Validate a request body instance (parsed JSON, or the multipart fields object). */
  checkBody(op, contentType, instance, where = "body") {
    const c = op.body?.contents[contentType];
    if (!c?.hasSchema) return null;
    const validate = this.#validator(this.ajvBody, c.def);
    return validate(instance) ? null : describeErrors(validate.errors, where);
  }

  /** The media types an operation's body accepts. */
  contentTypes(op) {
    return Object.keys(op.body?.contents ?? {});
  }

  /** JSON schema of one multipart field (e.g. metadata), to know whether it carries JSON. */
  multipartFieldSchema(op, field) {
    const schema = op.body?.contents["multipart/form-data"]?.schema;
    const declared = findProperty(this, schema, field);
    if (declared) return declared;
    // a form of free-named string fields (the assets upload: one base64 part per hash)
    const resolved = schema?.$ref ? this.ajvBody.getSchema(`${DOC_ID}${schema.$ref}`)?.schema : schema;
    return resolved?.additionalProperties && typeof resolved.additionalProperties === "object" ? resolved.additionalProperties : null;
  }
}

function findProperty(api, schema, field, depth = 0) {
  if (!schema || depth > 5) return null;
  if (schema.$ref) return findProperty(api, api.ajvBody.getSchema(`${DOC_ID}${schema.$ref}`)?.schema, field, depth + 1);
  if (schema.properties?.[field]) return schema.properties[field];
  for (const sub of schema.allOf ?? []) {
    const f = findProperty(api, sub, field, depth + 1);
    if (f) return f;
  }
  return null;
}

// Which deployments are known to start, so a fleet of scripts sharing one bundle is not started (and
// its 8 MB python.wasm compiled by workerd) once per upload.
//
// Whether workerd starts a script depends on its code (module names, types and bytes), its
// compatibility date and flags, the shape of its bindings (name, type, the class, script or
// service a binding points at), its Durable Object classes and whether it serves static assets.
// It does not depend on var values, secrets, resource ids or asset contents: a module's top level
// cannot read `env`, and the stand-in checks that resources exist before it starts anything.
// So two deployments with the same start key start alike, and the second needs no start of its own.
import { createHash } from "node:crypto";

/** Binding fields that change what workerd wires up; everything else is a value or an id. */
const BINDING_SHAPE = ["name", "type", "class_name", "script_name", "service", "environment", "entrypoint"];

function versionShape(version) {
  const md = version.metadata;
  if (version.modules.some((m) => !m.sha256)) return null; // stored before modules were hashed
  return {
    modules: version.modules.map((m) => [m.name, m.type ?? null, m.content_type ?? null, m.sha256]),
    main: md.main_module ?? md.body_part ?? null,
    compatibility_date: md.compatibility_date ?? null,
    compatibility_flags: [...(md.compatibility_flags ?? [])].sort(),
    bindings: (md.bindings ?? [])
      .map((b) => BINDING_SHAPE.map((k) => b[k] ?? null))
      .sort((a, b) => (a[0] < b[0] ? -1 : a[0] > b[0] ? 1 : 0)),
    assets: version.assets ? { config: version.assets.config ?? {} } : null,
  };
}

/**
 * The start key of `split` (`[{version_id, percentage}]`) of script `doc`, or null when it cannot be
 * told (a version stored before module hashes were kept): then the deployment is always started.
 */
export function startKey(doc, split) {
  const parts = [];
  for (const s of split) {
    const version = doc.versions.find((v) => v.id === s.version_id);
    const shape = version && versionShape(version);
    if (!shape) return null;
    parts.push([shape, s.percentage]);
  }
  const classes = Object.entries(doc.do_classes ?? {}).map((c) => JSON.stringify(c)).sort();
  return createHash("sha256").update(JSON.stringify({ parts, classes })).digest("hex");
}

/** Start keys seen to start, each with the startup time measured then; bounded (oldest forgotten first). */
export class StartedKeys {
  constructor(limit = 4096) {
    this.limit = limit;
    this.known = new Map();
    this.hits = 0;
  }

  /** The remembered startup time (ms) of `key`, or undefined. */
  lookup(key) {
    if (key === null || !this.known.has(key)) return undefined;
    this.hits++;
    return this.known.get(key);
  }

  remember(key, startupMs) {
    if (key === null) return;
    this.known.delete(key);
    this.known.set(key, startupMs);
    if (this.known.size > this.limit) this.known.delete(this.known.keys().next().value);
  }
}

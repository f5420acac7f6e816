// The stdlib split between the upload and the Worker's static assets (issue #13: hello-worker with its snapshot
// must fit Cloudflare's 3 MB free-plan upload). The runtime's python313.zip (7.4 MB, 2.8 MB gzip) would be half of
// every upload; instead the upload keeps only the modules an interpreter needs before its first request, and
// every other stdlib module becomes a static asset that pylib/pymode/_wasi/lazy_stdlib.py fetches on first import
// (docs/abi.md §2 kind `stdlib`). Static assets are stored once per account (deduplicated by content hash), so a
// fleet uploads the stdlib once.
//
// Layout (the contract between this file, the hosts and lazy_stdlib.py):
//   - python313.zip (upload, mounted at /lib/python313.zip): the kept entries, stored as in the runtime's zip;
//   - /lib/pymode-stdlib/index (app image): the zip entries served from assets, one per line, sorted;
//   - assets/__pymode/stdlib/<group>.bin (static assets): one per top-level name (`json`, `email`, `os`), the
//     frame list [entry name, bytes, entry name, bytes, ...] (src/runtime/frame-list.mjs), so an import of
//     `email.message` fetches the whole `email` package once;
//   - a Wizer snapshot reads the same group files from /lib/pymode-stdlib/<group>.bin (snapshot.sh puts them
//     there), because no host answers while a snapshot is made.
import { unzipSync, zipSync } from "fflate";
import { encodeFrames } from "../src/runtime/frame-list.mjs";
import STDLIB_START from "./stdlib-start.json" with { type: "json" };

/** Where the groups are among the Worker's static assets, and the binding the hosts read them through. */
export const STDLIB_ASSET_PREFIX = "/__pymode/stdlib/";
export const STDLIB_ASSETS_BINDING = "PYMODE_ASSETS";
/** The guest directory of the index (and, while a snapshot is made, of the group files). */
export const STDLIB_GUEST_DIR = "/lib/pymode-stdlib";
export const STDLIB_KEEP_SETS = Object.keys(STDLIB_START);

/** `json/decoder.pyc` -> `json`: entries are grouped by their top-level name. */
export function groupOf(entry) {
  return entry.split("/")[0].replace(/\.pyc$/, "");
}

/** `json/__init__.pyc` -> `json`, `json/decoder.pyc` -> `json.decoder`; null for what is not a module. */
export function moduleOf(entry) {
  if (!entry.endsWith(".pyc")) return null;
  return entry.slice(0, -4).replace(/\/__init__$/, "").split("/").join(".");
}

/**
 * Split the runtime's stdlib zip. `keep` names a set of stdlib-start.json: "init" (what CPython imports before
 * pymode can install its finder: enough under a Wizer snapshot, whose heap already holds what the start
 * imported) or "start" (everything pymode imports before it serves, so an instance without a snapshot starts
 * without fetching). Returns {zip, index, groups: Map<group, frames>, kept, served}.
 */
export function splitStdlib(zipBytes, keep) {
  const modules = STDLIB_START[keep];
  if (!modules) throw new Error(`stdlib split: keep must be one of ${STDLIB_KEEP_SETS.join(", ")}, got ${JSON.stringify(keep)}`);
  const wanted = new Set(modules);
  const entries = unzipSync(zipBytes);
  const kept = {};
  const byGroup = new Map();
  for (const name of Object.keys(entries).sort()) {
    if (name.endsWith("/")) continue;
    if (wanted.has(moduleOf(name))) {
      kept[name] = [entries[name], { level: 0 }];
      continue;
    }
    const group = groupOf(name);
    if (!byGroup.has(group)) byGroup.set(group, []);
    byGroup.get(group).push(name);
  }
  const missing = modules.filter((m) => !Object.keys(kept).some((e) => moduleOf(e) === m));
  if (missing.length) throw new Error(`stdlib split: the runtime's python313.zip lacks ${missing.join(", ")} (worker/scripts/stdlib-start.json "${keep}")`);
  const groups = new Map();
  for (const [group, names] of byGroup) groups.set(group, encodeFrames(names.flatMap((n) => [n, entries[n]])));
  const served = [...byGroup.values()].flat().sort();
  // mtime fixed so the same runtime gives the same bytes (bundles and snapshots are compared by digest)
  const zip = zipSync(kept, { mtime: new Date("1980-01-01T00:00:00Z") });
  return { zip, index: served.join("\n") + "\n", groups, kept: Object.keys(kept), served };
}

/** A group's asset path, e.g. `/__pymode/stdlib/email.bin`. */
export function groupAssetPath(group) {
  return `${STDLIB_ASSET_PREFIX}${group}.bin`;
}

// On-disk state under --state-dir, so a restart keeps accounts, resources, scripts, versions,
// deployments and secrets. Layout (README "State layout"):
//   accounts/<account>/account.json                      resources, zones, routes, scripts (mode 0600: holds secrets)
//   accounts/<account>/scripts/<script>/<version>/<n>.bin   uploaded module contents
//   accounts/<account>/scripts/<script>/<version>/assets/   the version's static assets by path (links into assets/)
//   accounts/<account>/assets/<hash>                      static asset contents, one per hash (account.json `assets`)
//   runtime/{kv,r2,d1}                                    storage hub persistence (miniflare)
//   runtime/do                                            Durable Object storage of every script
// Writes are synchronous write-to-temp + rename: the process is single-threaded, so a document is
// never observed half-written and no write interleaves with another.
import { createHash } from "node:crypto";
import { copyFileSync, existsSync, linkSync, mkdirSync, readFileSync, readdirSync, renameSync, rmSync, writeFileSync } from "node:fs";
import { dirname, join } from "node:path";

export function emptyAccount(id, subdomain) {
  return { id, subdomain, kv: {}, r2: {}, d1: {}, queues: {}, zones: {}, routes: {}, scripts: {} };
}

export class StateStore {
  constructor(dir) {
    this.dir = dir;
    this.accounts = new Map();
    mkdirSync(join(dir, "accounts"), { recursive: true });
    for (const kind of ["kv", "r2", "d1", "do"]) mkdirSync(this.runtimeDir(kind), { recursive: true });
    for (const id of readdirSync(join(dir, "accounts"))) {
      const file = this.#accountFile(id);
      if (existsSync(file)) this.accounts.set(id, JSON.parse(readFileSync(file, "utf8")));
    }
  }

  runtimeDir(kind) {
    return join(this.dir, "runtime", kind);
  }

  #accountFile(id) {
    return join(this.dir, "accounts", id, "account.json");
  }

  /** The account document, created (with the given subdomain) if this is its first run. */
  ensureAccount(id, subdomain) {
    if (!this.accounts.has(id)) {
      this.accounts.set(id, emptyAccount(id, subdomain));
      this.save(id);
    }
    return this.accounts.get(id);
  }

  save(id) {
    const file = this.#accountFile(id);
    mkdirSync(join(this.dir, "accounts", id), { recursive: true });
    writeFileSync(file + ".tmp", JSON.stringify(this.accounts.get(id), null, 1), { mode: 0o600 });
    renameSync(file + ".tmp", file);
  }

  #versionDir(accountId, script, versionId) {
    return join(this.dir, "accounts", accountId, "scripts", script, versionId);
  }

  /** Store module contents; returns the module list for the version document (no contents). */
  writeModules(accountId, script, versionId, modules) {
    const dir = this.#versionDir(accountId, script, versionId);
    mkdirSync(dir, { recursive: true });
    return modules.map((m, i) => {
      writeFileSync(join(dir, `${i}.bin`), m.data);
      // sha256: what the start cache (runtime/start-keys.mjs) compares instead of the bytes
      const sha256 = createHash("sha256").update(m.data).digest("hex");
      return { name: m.name, type: m.type, content_type: m.content_type, size: m.data.byteLength, sha256, file: `${i}.bin` };
    });
  }

  readModule(accountId, script, versionId, mod) {
    return readFileSync(join(this.#versionDir(accountId, script, versionId), mod.file));
  }

  /** Keeps one static asset's content under its hash (write to temp + rename). */
  writeAsset(accountId, hash, content) {
    const file = join(this.dir, "accounts", accountId, "assets", hash);
    mkdirSync(dirname(file), { recursive: true });
    writeFileSync(file + ".tmp", content);
    renameSync(file + ".tmp", file);
  }

  /**
   * Lays a version's assets out as a directory (path → content, hard links into the account's
   * store) for the script's workerd; returns the directory.
   */
  linkVersionAssets(accountId, script, versionId, manifest) {
    const root = join(this.#versionDir(accountId, script, versionId), "assets");
    rmSync(root, { recursive: true, force: true });
    for (const [path, { hash }] of Object.entries(manifest)) {
      const target = join(root, ...path.split("/").filter(Boolean));
      mkdirSync(dirname(target), { recursive: true });
      const source = join(this.dir, "accounts", accountId, "assets", hash);
      try {
        linkSync(source, target);
      } catch {
        copyFileSync(source, target);
      }
    }
    return root;
  }

  versionAssetsDir(accountId, script, versionId) {
    return join(this.#versionDir(accountId, script, versionId), "assets");
  }

  deleteVersionFiles(accountId, script, versionId) {
    rmSync(this.#versionDir(accountId, script, versionId), { recursive: true, force: true });
  }

  deleteScriptFiles(accountId, script) {
    rmSync(join(this.dir, "accounts", accountId, "scripts", script), { recursive: true, force: true });
  }
}

// One workerd (Miniflare) per deployed script: the versions of its active deployment plus a router
// worker that splits requests by the deployment's percentages. Redeploying a script starts its new
// runtime, switches traffic to it and disposes the old one; other scripts are untouched.
import { Miniflare } from "miniflare";
import { readFileSync } from "node:fs";
import { createInterface } from "node:readline";
import { fileURLToPath } from "node:url";
import { scriptInvalid } from "../envelope.mjs";
import { listenForScript } from "./proxy.mjs";
import { versionWorker } from "./worker-options.mjs";

const ROUTER = readFileSync(fileURLToPath(new URL("./workers/router.js", import.meta.url)), "utf8");

const versionWorkerName = (id) => `v-${id}`;

export class ScriptRuntimes {
  /**
   * @param {object} o
   * @param {import("../state.mjs").StateStore} o.store
   * @param {import("./hub.mjs").StorageHub} o.hub
   * @param {(line: string) => void} o.log
   */
  constructor({ store, hub, log }) {
    this.store = store;
    this.hub = hub;
    this.log = log;
    this.running = new Map(); // "<account>/<script>" → {mf, upstream, listener, deploymentId}
    this.chains = new Map(); // per-script serialisation of apply/stop
  }

  #key(accountId, script) {
    return `${accountId}/${script}`;
  }

  /** Run one operation per script at a time (two quick deploys must not race their swaps). */
  #serial(key, fn) {
    const prev = this.chains.get(key) ?? Promise.resolve();
    const next = prev.then(fn, fn);
    this.chains.set(key, next.catch(() => {}));
    return next;
  }

  /** Miniflare options shared by the live and the check runtimes. */
  #options(accountId, script, doc, split, { persist }) {
    const versions = split.map((s) => doc.versions.find((v) => v.id === s.version_id));
    // The version with the largest share hosts the Durable Object classes; the others bind to it,
    // so one object never runs in two places at once.
    const host = [...split].sort((a, b) => b.percentage - a.percentage)[0].version_id;
    const workers = versions.map((version) =>
      versionWorker({
        name: versionWorkerName(version.id),
        version,
        contents: (m) => this.store.readModule(accountId, script, version.id, m),
        hub: this.hub,
        doClasses: doc.do_classes,
        doHostWorker: version.id === host ? null : versionWorkerName(host),
        accountId,
        script,
      }),
    );
    const router = {
      name: "cfstandin-router",
      modules: [{ type: "ESModule", path: "/router/router.js", contents: ROUTER }],
      modulesRoot: "/router",
      compatibilityDate: "2025-04-01",
      bindings: { SPLIT: split.map((s, i) => ({ binding: `V${i}`, percentage: s.percentage })) },
      serviceBindings: Object.fromEntries(split.map((s, i) => [`V${i}`, versionWorkerName(s.version_id)])),
    };
    return {
      workers: [router, ...workers],
      host: "127.0.0.1",
      port: 0,
      ...(persist ? { durableObjectsPersist: this.store.runtimeDir("do") } : {}),
    };
  }

  /** Start a Miniflare; on failure throw 10021 with workerd's own error lines. */
  async #start(options, label) {
    const errors = [];
    const mf = new Miniflare({
      ...options,
      handleRuntimeStdio: (stdout, stderr) => {
        createInterface({ input: stdout }).on("line", (l) => this.log(`[${label}] ${l}`));
        createInterface({ input: stderr }).on("line", (l) => {
          errors.push(l);
          if (errors.length > 40) errors.shift();
          this.log(`[${label}] ${l}`);
        });
      },
    });
    const t0 = performance.now();
    try {
      const upstream = await mf.ready;
      return { mf, upstream, startupMs: Math.round(performance.now() - t0) };
    } catch (e) {
      await mf.dispose().catch(() => {});
      const detail = errors.filter((l) => /error|uncaught|exception/i.test(l)).join("\n") || e.message;
      throw scriptInvalid(`script failed to start: ${detail}`);
    }
  }

  /** Start a version on its own (ephemeral Durable Objects) to validate it; returns its startup time. */
  async check(accountId, script, doc, versionId) {
    const { mf, startupMs } = await this.#start(this.#options(accountId, script, doc, [{ version_id: versionId, percentage: 100 }], { persist: false }), `${script} check`);
    await mf.dispose();
    return startupMs;
  }

  /** Bring the script's runtime in line with its latest deployment (or stop it if there is none). */
  apply(accountId, script) {
    const key = this.#key(accountId, script);
    return this.#serial(key, async () => {
      const account = this.store.accounts.get(accountId);
      const doc = account.scripts[script];
      const deployment = doc?.deployments[0];
      const current = this.running.get(key);
      if (!deployment) return this.#stop(key);
      if (current?.deploymentId === deployment.id) return current;
      const started = await this.#start(this.#options(accountId, script, doc, deployment.versions, { persist: true }), script);
      const entry = current ?? { listener: null };
      const replaced = current?.mf;
      Object.assign(entry, { mf: started.mf, upstream: started.upstream, deploymentId: deployment.id, startupMs: started.startupMs });
      if (!entry.listener) {
        entry.listener = await listenForScript(doc.port, () => entry.upstream);
        doc.port = entry.listener.address().port;
        this.store.save(accountId);
      }
      this.running.set(key, entry);
      // Traffic already goes to the new runtime; the old one only finishes what it has.
      if (replaced) await replaced.dispose();
      this.log(`script ${accountId}/${script} deployment ${deployment.id} running at ${this.url(accountId, script)} (started in ${started.startupMs} ms)`);
      return entry;
    });
  }

  stop(accountId, script) {
    const key = this.#key(accountId, script);
    return this.#serial(key, () => this.#stop(key));
  }

  async #stop(key) {
    const entry = this.running.get(key);
    if (!entry) return null;
    this.running.delete(key);
    await new Promise((r) => entry.listener.close(r));
    entry.listener.closeAllConnections?.();
    await entry.mf.dispose();
    this.log(`script ${key} stopped`);
    return null;
  }

  /**
   * Deliver a cron trigger's `scheduled` event to the running script: to one version of its
   * deployment, picked by the percentages like a request. Resolves to workerd's {outcome, noRetry}.
   */
  scheduled(accountId, script, cron, scheduledTime) {
    const entry = this.running.get(this.#key(accountId, script));
    if (!entry) return Promise.reject(new Error("the script has no running deployment"));
    const split = this.store.accounts.get(accountId).scripts[script].deployments[0].versions;
    let r = Math.random() * 100;
    const pick = split.find((s) => (r -= s.percentage) < 0) ?? split[split.length - 1];
    return entry.mf.getWorker(versionWorkerName(pick.version_id)).then((w) => w.scheduled({ cron, scheduledTime: new Date(scheduledTime) }));
  }

  upstream(accountId, script) {
    return this.running.get(this.#key(accountId, script))?.upstream ?? null;
  }

  url(accountId, script) {
    const entry = this.running.get(this.#key(accountId, script));
    return entry ? `http://127.0.0.1:${entry.listener.address().port}/` : null;
  }

  async closeAll() {
    await Promise.all([...this.running.keys()].map((k) => this.#serial(k, () => this.#stop(k))));
  }
}

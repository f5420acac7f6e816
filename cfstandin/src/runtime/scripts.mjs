// One workerd (Miniflare) per running script: the versions of its active deployment plus a router
// worker that splits requests by the deployment's percentages. Redeploying a script starts its new
// runtime, switches traffic to it and disposes the old one; other scripts are untouched.
//
// Runtimes are lazy and bounded (./pool.mjs): a deploy starts the script's runtime (that start is
// the check that refuses broken code with 10021) and leaves it in the pool; the pool stops it when
// idle or when another script needs room, and the next request or cron firing starts it again.
// Every deployed script keeps its per-script URL (a node listener) whether its runtime runs or not.
import { Miniflare } from "miniflare";
import { readFileSync } from "node:fs";
import { createInterface } from "node:readline";
import { fileURLToPath } from "node:url";
import { scriptInvalid } from "../envelope.mjs";
import { RuntimePool } from "./pool.mjs";
import { listenForScript, proxyRequest, releaseOnClose } from "./proxy.mjs";
import { StartedKeys, startKey } from "./start-keys.mjs";
import { QUEUE_PRODUCER_WORKER, versionWorker } from "./worker-options.mjs";

const ROUTER = readFileSync(fileURLToPath(new URL("./workers/router.js", import.meta.url)), "utf8");
const QUEUE_PRODUCER = readFileSync(fileURLToPath(new URL("./workers/queue-producer.js", import.meta.url)), "utf8");

const versionWorkerName = (id) => `v-${id}`;

export class ScriptRuntimes {
  /**
   * @param {object} o
   * @param {import("../state.mjs").StateStore} o.store
   * @param {import("./hub.mjs").StorageHub} o.hub
   * @param {(line: string) => void} o.log
   * @param {number} o.maxRunning at most this many script runtimes at once (0 = no limit)
   * @param {number} o.idleMs stop a runtime unused for this long (0 = never)
   * @param {{handleSend(accountId: string, request: Request): Promise<Response>}} [o.broker] the Queues
   *   broker behind queue producer bindings (./queues.mjs)
   */
  constructor({ store, hub, log, maxRunning, idleMs, broker }) {
    this.store = store;
    this.hub = hub;
    this.log = log;
    this.broker = broker;
    this.listeners = new Map(); // "<account>/<script>" → the per-script URL's server, while deployed
    this.startedKeys = new StartedKeys();
    this.pool = new RuntimePool({
      maxRunning,
      idleMs,
      start: (key) => this.#startDeployment(key),
      stop: (key, runtime, reason) => this.#dispose(key, runtime, reason),
      isCurrent: (key, runtime) => runtime.deploymentId === this.#deployment(key)?.id,
      log,
    });
  }

  #key(accountId, script) {
    return `${accountId}/${script}`;
  }

  #doc(key) {
    const [accountId, script] = this.#split(key);
    return this.store.accounts.get(accountId)?.scripts[script] ?? null;
  }

  #deployment(key) {
    return this.#doc(key)?.deployments[0] ?? null;
  }

  #split(key) {
    const i = key.indexOf("/");
    return [key.slice(0, i), key.slice(i + 1)];
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
        serviceFetch: (target, request) => this.fetch(accountId, target, request),
        assetsDir: version.assets ? this.store.versionAssetsDir(accountId, script, version.id) : null,
      }),
    );
    const extra = [];
    if (workers.some((w) => Object.keys(w.wrappedBindings).length)) {
      if (!this.broker) throw scriptInvalid("queue producer bindings need the stand-in's queue broker");
      extra.push({
        name: QUEUE_PRODUCER_WORKER,
        modules: [{ type: "ESModule", path: "/queue/queue-producer.js", contents: QUEUE_PRODUCER }],
        modulesRoot: "/queue",
        // a wrapped binding runs with the compatibility date of the worker that has the binding
        serviceBindings: { BROKER: (request) => this.broker.handleSend(accountId, request) },
      });
    }
    const router = {
      name: "cfstandin-router",
      modules: [{ type: "ESModule", path: "/router/router.js", contents: ROUTER }],
      modulesRoot: "/router",
      compatibilityDate: "2025-04-01",
      bindings: { SPLIT: split.map((s, i) => ({ binding: `V${i}`, percentage: s.percentage })) },
      serviceBindings: Object.fromEntries(split.map((s, i) => [`V${i}`, versionWorkerName(s.version_id)])),
    };
    return {
      workers: [router, ...workers, ...extra],
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

  /**
   * Start a version on its own (ephemeral Durable Objects) to validate it; returns its startup time.
   * A version whose start key already started (./start-keys.mjs) is not started again.
   */
  async check(accountId, script, doc, versionId) {
    const split = [{ version_id: versionId, percentage: 100 }];
    const key = startKey(doc, split);
    const known = this.startedKeys.lookup(key);
    if (known !== undefined) return known;
    const { mf, startupMs } = await this.#start(this.#options(accountId, script, doc, split, { persist: false }), `${script} check`);
    await mf.dispose();
    this.startedKeys.remember(key, startupMs);
    return startupMs;
  }

  /** Start the runtime of the script's latest deployment (the pool's `start`). */
  async #startDeployment(key) {
    const [accountId, script] = this.#split(key);
    const doc = this.#doc(key);
    const deployment = this.#deployment(key);
    if (!deployment) throw new Error(`script ${key} has no deployment`);
    const started = await this.#start(this.#options(accountId, script, doc, deployment.versions, { persist: true }), script);
    this.startedKeys.remember(startKey(doc, deployment.versions), started.startupMs);
    this.log(`script ${key} deployment ${deployment.id} started in ${started.startupMs} ms`);
    return { mf: started.mf, upstream: started.upstream, deploymentId: deployment.id, startupMs: started.startupMs };
  }

  async #dispose(key, runtime, reason) {
    await runtime.mf.dispose();
    this.log(`script ${key} runtime stopped (${reason})`);
  }

  /**
   * Bring the script in line with its latest deployment, as a deploy does: start its runtime now
   * (a script that fails to start throws 10021 and the previous runtime keeps serving) and keep
   * its per-script URL. A deployment whose start key already started is not started now: its
   * runtime starts on the first request, as after a restart. With no deployment, the script's
   * runtime and URL go. Resolves to `{startupMs}` (the remembered one when not started now).
   */
  async apply(accountId, script) {
    const key = this.#key(accountId, script);
    const deployment = this.#deployment(key);
    if (!deployment) return this.remove(accountId, script);
    const known = this.startedKeys.lookup(startKey(this.#doc(key), deployment.versions));
    if (known !== undefined) {
      await this.attach(accountId, script);
      return { startupMs: known };
    }
    let runtime;
    try {
      runtime = await this.pool.ensure(key);
    } catch (e) {
      if (!this.listeners.has(key)) await this.pool.remove(key); // a new script that never ran
      throw e;
    }
    await this.attach(accountId, script);
    return runtime;
  }

  /** Give a deployed script its per-script URL (on its remembered port when free) without starting it. */
  async attach(accountId, script) {
    const key = this.#key(accountId, script);
    if (this.listeners.has(key)) return;
    const doc = this.store.accounts.get(accountId).scripts[script];
    const listener = await listenForScript(doc.port, (req, res) => this.serve(accountId, script, req, res));
    this.listeners.set(key, listener);
    doc.port = listener.address().port;
    this.store.save(accountId);
  }

  /** Stop the script's runtime and close its per-script URL (the script was deleted). */
  async remove(accountId, script) {
    const key = this.#key(accountId, script);
    await this.pool.remove(key);
    const listener = this.listeners.get(key);
    if (!listener) return null;
    this.listeners.delete(key);
    await new Promise((r) => listener.close(r));
    listener.closeAllConnections?.();
    return null;
  }

  /** Answer one HTTP request with the script, starting its runtime if it is not running. */
  async serve(accountId, script, req, res) {
    const key = this.#key(accountId, script);
    if (!this.#deployment(key)) return proxyRequest(req, res, null);
    let lease;
    try {
      lease = await this.pool.lease(key);
    } catch (e) {
      res.writeHead(502, { "content-type": "text/plain" }).end(`cfstandin: the script's runtime failed to start: ${e.message}\n`);
      return;
    }
    if (!releaseOnClose(res, lease.release)) return; // the client gave up while the runtime started
    proxyRequest(req, res, lease.runtime.upstream);
  }

  /**
   * Deliver a cron trigger's `scheduled` event to the script (started if it is not running): to
   * one version of its deployment, picked by the percentages like a request. Resolves to
   * workerd's {outcome, noRetry}.
   */
  async scheduled(accountId, script, cron, scheduledTime) {
    return this.#withVersion(accountId, script, (worker) => worker.scheduled({ cron, scheduledTime: new Date(scheduledTime) }));
  }

  /**
   * Deliver a queue batch to the script's `queue` handler (started if it is not running), to one
   * version picked by the percentages. Resolves to workerd's FetcherQueueResult.
   */
  async queue(accountId, script, queueName, messages) {
    return this.#withVersion(accountId, script, (worker) => worker.queue(queueName, messages));
  }

  /** A request from a service binding of another script of the account to this script. */
  async fetch(accountId, script, request) {
    const key = this.#key(accountId, script);
    if (!this.#deployment(key)) return new Response(`cfstandin: service ${script} is not deployed in account ${accountId}`, { status: 503 });
    const lease = await this.pool.lease(key);
    try {
      const method = request.method;
      const body = method === "GET" || method === "HEAD" ? undefined : await request.arrayBuffer();
      const r = await lease.runtime.mf.dispatchFetch(request.url, { method, headers: request.headers, body, redirect: "manual" });
      // read whole while the lease holds, so the runtime is not stopped under the body
      return new Response(await r.arrayBuffer(), { status: r.status, statusText: r.statusText, headers: r.headers });
    } finally {
      lease.release();
    }
  }

  async #withVersion(accountId, script, fn) {
    const key = this.#key(accountId, script);
    const split = this.#deployment(key)?.versions;
    if (!split) throw new Error("the script has no deployment");
    const lease = await this.pool.lease(key);
    try {
      let r = Math.random() * 100;
      const pick = split.find((s) => (r -= s.percentage) < 0) ?? split[split.length - 1];
      return await fn(await lease.runtime.mf.getWorker(versionWorkerName(pick.version_id)));
    } finally {
      lease.release();
    }
  }

  running(accountId, script) {
    return this.pool.running(this.#key(accountId, script));
  }

  url(accountId, script) {
    const listener = this.listeners.get(this.#key(accountId, script));
    return listener ? `http://127.0.0.1:${listener.address().port}/` : null;
  }

  /** What runs now and what ran: the pool's counters plus the number of deployed scripts. */
  stats() {
    // start_checks_skipped: uploads and deploys not started because their start key had started
    return { deployed: this.listeners.size, ...this.pool.stats(), start_keys: this.startedKeys.known.size, start_checks_skipped: this.startedKeys.hits };
  }

  async closeAll() {
    await this.pool.close();
    await Promise.all([...this.listeners.keys()].map((k) => this.remove(...this.#split(k))));
  }
}

// Lazy, bounded script runtimes: a stopped script starts on its first request (concurrent first
// requests share one start), idle runtimes stop and come back with their storage, at most
// --max-runtimes run at once (least recently used stopped first), crons fire on stopped scripts,
// and a broken upload is still refused with 10021.
import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { ACCOUNT, COUNTER_CLASS, getWithHost, start, tempDir, uploadForm, waitFor } from "./helpers.mjs";

const A = `/accounts/${ACCOUNT}`;

const SCRIPT = `${COUNTER_CLASS}export default {
  async fetch(request, env) {
    const url = new URL(request.url);
    if (url.pathname === "/put") {
      await env.KV.put(env.NAME, url.searchParams.get("v"));
      return new Response("stored");
    }
    if (url.pathname === "/get") return new Response(await env.KV.get(env.NAME));
    if (url.pathname === "/count") return env.COUNTER.get(env.COUNTER.idFromName("c")).fetch("http://do/");
    return new Response(env.NAME);
  },
  async scheduled(controller, env) {
    await env.KV.put(\`fired|\${env.NAME}|\${Number(controller.scheduledTime)}\`, "1");
  },
};`;

/** No runtime alive: none starting, running or still stopping (the counters move when a stop ends). */
const allStopped = (st) => st.starting + st.running + st.stopping === 0;
const stats = async (s) => (await fetch(`${s.standin.url}/__standin/runtimes`)).json();
const scriptUrl = async (s, name) => (await (await fetch(`${s.standin.url}/__standin/scripts`)).json()).scripts.find((x) => x.script === name)?.url;
const text = async (url) => {
  const r = await fetch(url);
  assert.equal(r.status, 200, `${url}: ${r.status}`);
  return r.text();
};

/**
 * Add to stand-in `s` the KV namespace "lazy-kv" (made on its first run, found after a restart),
 * `deploy(name, source)` uploading `source` as `name` with it and a Durable Object, and
 * `kvKeys(prefix)`.
 */
async function withFleetHelpers(s) {
  const listed = await s.api("GET", `${A}/storage/kv/namespaces`);
  const ns = listed.data.result.find((n) => n.title === "lazy-kv")?.id ?? (await s.api("POST", `${A}/storage/kv/namespaces`, { json: { title: "lazy-kv" } })).data.result.id;
  // By default each script gets code of its own (SCRIPT and a comment naming it), so that every deploy
  // starts its runtime: scripts that share a start key are started once ("one start per start key").
  s.deploy = async (name, source = `${SCRIPT}\n// ${name}\n`) => {
    const exists = (await s.api("GET", `${A}/workers/scripts/${name}/settings`)).status === 200;
    const metadata = {
      main_module: "index.js",
      compatibility_date: "2025-04-01",
      bindings: [
        { name: "NAME", type: "plain_text", text: name },
        { name: "KV", type: "kv_namespace", namespace_id: ns },
        { name: "COUNTER", type: "durable_object_namespace", class_name: "Counter" },
      ],
      ...(exists ? {} : { migrations: { new_tag: "v1", steps: [{ new_sqlite_classes: ["Counter"] }] } }),
    };
    return s.api("PUT", `${A}/workers/scripts/${name}`, { body: uploadForm(metadata, [{ name: "index.js", type: "application/javascript+module", data: source }]) });
  };
  s.kvKeys = async (prefix) => (await s.api("GET", `${A}/storage/kv/namespaces/${ns}/keys?prefix=${encodeURIComponent(prefix)}`)).data.result.map((k) => k.name);
}

/** Run `fn` with a stand-in started with `opts` (see helpers' `start`), closed afterwards whatever happens. */
async function withStandin(opts, fn) {
  const s = await start(opts);
  try {
    await withFleetHelpers(s);
    await fn(s);
  } finally {
    await s.standin.close();
  }
}

describe("lazy start", () => {
  it("a restart starts no runtime; the first request starts it, concurrent first requests share one start", async () => {
    const dir = tempDir();
    await withStandin({ stateDir: dir }, async (s) => {
      assert.equal((await s.deploy("alpha")).status, 200);
      assert.equal((await s.deploy("beta")).status, 200);
      await s.api("POST", `${A}/workers/scripts/beta/subdomain`, { json: { enabled: true } });
      assert.equal((await stats(s)).running, 2, "a deploy starts the runtime (its start check) and keeps it");
      assert.equal(await text(`${await scriptUrl(s, "alpha")}count`), "1");
    });

    await withStandin({ stateDir: dir }, async (s) => {
      const before = await stats(s);
      assert.deepEqual([before.deployed, before.running, before.started], [2, 0, 0]);
      const listed = (await (await fetch(`${s.standin.url}/__standin/scripts`)).json()).scripts;
      assert.deepEqual(listed.map((x) => [x.script, x.running, typeof x.url]), [["alpha", false, "string"], ["beta", false, "string"]]);

      // Ten requests at once to a stopped script: one start, ten answers, Durable Object state kept.
      const url = await scriptUrl(s, "alpha");
      const answers = await Promise.all(Array.from({ length: 10 }, () => text(`${url}count`)));
      assert.deepEqual(answers.map(Number).sort((a, b) => a - b), [2, 3, 4, 5, 6, 7, 8, 9, 10, 11]);
      let now = await stats(s);
      assert.deepEqual([now.running, now.started], [1, 1]);

      // The workers.dev host starts the other one the same way.
      const viaHost = await Promise.all([1, 2, 3].map(() => getWithHost(s.standin.url, "beta.testsub.workers.dev")));
      assert.deepEqual(viaHost.map((r) => [r.status, r.text]), [[200, "beta"], [200, "beta"], [200, "beta"]]);
      now = await stats(s);
      assert.deepEqual([now.running, now.started, now.peak_running], [2, 2, 2]);
    });
  });
});

describe("one start per start key", () => {
  it("a script with the code and binding shapes of one that started answers without a start of its own at deploy", async () => {
    await withStandin({}, async (s) => {
      const first = await s.deploy("first", SCRIPT);
      assert.equal(first.status, 200);
      let now = await stats(s);
      assert.deepEqual([now.started, now.start_checks_skipped], [1, 0]);

      // Same code, compatibility date and binding shapes; another NAME value: not started at deploy.
      const second = await s.deploy("second", SCRIPT);
      assert.equal(second.status, 200);
      assert.equal(second.data.result.startup_time_ms, first.data.result.startup_time_ms, "the startup time measured for the key");
      now = await stats(s);
      assert.deepEqual([now.started, now.running, now.start_checks_skipped, now.deployed], [1, 1, 1, 2]);
      // Its first request starts it, with its own vars.
      assert.equal(await text(await scriptUrl(s, "second")), "second");
      assert.equal((await stats(s)).started, 2);

      // Other code is started at deploy again.
      assert.equal((await s.deploy("third", `${SCRIPT}\n// other code\n`)).status, 200);
      now = await stats(s);
      assert.deepEqual([now.started, now.start_checks_skipped], [3, 1]);
    });
  });
});

describe("idle stop", () => {
  it("stops an unused runtime after the idle time and restarts it with its KV and DO data", async () => {
    await withStandin({ idleStopMs: 300 }, async (s) => {
      assert.equal((await s.deploy("idler")).status, 200);
      const url = await scriptUrl(s, "idler");
      assert.equal(await text(`${url}put?v=written-before-stop`), "stored");
      assert.equal(await text(`${url}count`), "1");
      await waitFor(async () => allStopped(await stats(s)), { timeout: 5000 });
      const stopped = await stats(s);
      assert.ok(stopped.stopped_idle >= 1, JSON.stringify(stopped));
      assert.ok(s.logs.some((l) => /script .*\/idler runtime stopped \(idle\)/.test(l)));
      assert.equal(await text(`${url}get`), "written-before-stop");
      assert.equal(await text(`${url}count`), "2");
      // started again (and maybe stopped once more between the two requests on a slow machine)
      assert.ok((await stats(s)).started > stopped.started);
    });
  });

  it("does not stop a runtime while it serves a request longer than the idle time", async () => {
    const slow = SCRIPT.replace("return new Response(env.NAME);", "await new Promise((r) => setTimeout(r, 1200)); return new Response(env.NAME);");
    await withStandin({ idleStopMs: 200 }, async (s) => {
      assert.equal((await s.deploy("slow", slow)).status, 200);
      // Stopped mid-request, the proxy would answer 502 (runtime unreachable).
      assert.equal(await text(await scriptUrl(s, "slow")), "slow");
    });
  });
});

describe("bound", () => {
  it("runs at most --max-runtimes at once, stopping the least recently used; every script answers", async () => {
    await withStandin({ maxRuntimes: 2 }, async (s) => {
      const names = ["one", "two", "three"];
      for (const n of names) assert.equal((await s.deploy(n)).status, 200);
      let now = await stats(s);
      assert.deepEqual([now.running, now.max_running, now.stopped_evicted], [2, 2, 1]);
      assert.deepEqual((await (await fetch(`${s.standin.url}/__standin/scripts`)).json()).scripts.map((x) => x.running), [false, true, true], "the first deployed was the least recently used");
      const urls = Object.fromEntries(await Promise.all(names.map(async (n) => [n, await scriptUrl(s, n)])));
      for (let round = 0; round < 2; round++) for (const n of names) assert.equal(await text(urls[n]), n);
      // All at once, several times each: more scripts than room, all answer.
      const all = await Promise.all(names.flatMap((n) => [1, 2, 3].map(async () => [n, await text(urls[n])])));
      for (const [n, answer] of all) assert.equal(answer, n);
      now = await stats(s);
      assert.ok(now.peak_running <= 2, `peak ${now.peak_running} > 2`);
      assert.ok(now.running <= 2 && now.stopped_evicted >= 4, JSON.stringify(now));
    });
  });
});

describe("stopped scripts", () => {
  it("cron triggers and the admin trigger start a stopped script's runtime", async () => {
    await withStandin({ maxRuntimes: 1 }, async (s) => {
      assert.equal((await s.deploy("ticker")).status, 200);
      assert.equal((await s.api("PUT", `${A}/workers/scripts/ticker/schedules`, { json: [{ cron: "*/5 * * * *" }] })).status, 200);
      assert.equal((await s.deploy("other")).status, 200); // takes the only slot: ticker stops
      assert.equal((await (await fetch(`${s.standin.url}/__standin/scripts`)).json()).scripts.find((x) => x.script === "ticker").running, false);

      const minute = Date.parse("2026-12-02T03:05:00Z");
      await s.standin.scheduler.tick(minute);
      assert.deepEqual(await s.kvKeys("fired|"), [`fired|ticker|${minute}`]);
      assert.equal(s.standin.scheduler.events.at(-1).outcome, "ok");

      assert.equal(await text(await scriptUrl(s, "other")), "other"); // ticker stops again
      const r = await fetch(`${s.standin.url}/__standin/scheduled`, { method: "POST", body: JSON.stringify({ account: ACCOUNT, script: "ticker", scheduled_time: "2026-12-02T03:10:00Z" }) });
      assert.equal((await r.json()).outcome, "ok");
      assert.equal((await s.kvKeys("fired|ticker")).length, 2);
      const now = await stats(s);
      assert.ok(now.peak_running <= 1 && now.started >= 4, JSON.stringify(now));
    });
  });

  it("refuses a broken upload with 10021 while the script is stopped, and the old version still answers", async () => {
    await withStandin({ idleStopMs: 200 }, async (s) => {
      assert.equal((await s.deploy("fragile")).status, 200);
      await waitFor(async () => allStopped(await stats(s)), { timeout: 5000 });
      const bad = await s.deploy("fragile", "export default { fetch( {");
      assert.equal(bad.status, 400);
      assert.equal(bad.data.errors[0].code, 10021);
      assert.match(bad.data.errors[0].message, /script failed to start: .*SyntaxError/s);
      const fresh = await s.deploy("fresh-broken", "export default { fetch( {");
      assert.deepEqual([fresh.status, fresh.data.errors[0].code], [400, 10021]);
      assert.equal((await s.api("GET", `${A}/workers/scripts/fresh-broken/settings`)).status, 404);
      assert.equal(await text(await scriptUrl(s, "fragile")), "fragile");
      assert.equal((await stats(s)).deployed, 1);
    });
  });
});

#!/usr/bin/env node
// cfstandin: a local Cloudflare API stand-in (see ../README.md).
//   node bin/cfstandin.mjs --port 8799 --state-dir DIR --account ID --token TOKEN [--subdomain NAME] [--zone NAME]...
//        [--max-runtimes N] [--idle-stop SECONDS]
import { POOL_DEFAULTS } from "../src/runtime/pool.mjs";
import { startStandin } from "../src/server.mjs";

const USAGE =
  "usage: cfstandin.mjs --port N --state-dir DIR --account ID --token TOKEN [--token TOKEN]... [--subdomain NAME] [--zone NAME]... " +
  `[--max-runtimes N (default ${POOL_DEFAULTS.maxRunning}, 0 = no limit)] [--idle-stop SECONDS (default ${POOL_DEFAULTS.idleMs / 1000}, 0 = never)] [--quiet]`;

/** A whole number >= 0 given to `flag`, or an error naming the flag. */
function count(flag, text) {
  const n = Number(text);
  if (!/^\d+$/.test(text) || !Number.isSafeInteger(n)) throw new Error(`${flag} must be a whole number >= 0, got ${JSON.stringify(text)}`);
  return n;
}

function parseArgs(argv) {
  const o = { tokens: [], zones: [], port: 8799, quiet: false, maxRuntimes: POOL_DEFAULTS.maxRunning, idleStopMs: POOL_DEFAULTS.idleMs };
  for (let i = 0; i < argv.length; i++) {
    const a = argv[i];
    const v = () => {
      if (i + 1 >= argv.length) throw new Error(`${a} needs a value`);
      return argv[++i];
    };
    if (a === "--port") o.port = Number(v());
    else if (a === "--state-dir") o.stateDir = v();
    else if (a === "--account") o.account = v();
    else if (a === "--token") o.tokens.push(v());
    else if (a === "--subdomain") o.subdomain = v();
    else if (a === "--zone") o.zones.push(v());
    else if (a === "--max-runtimes") o.maxRuntimes = count(a, v());
    else if (a === "--idle-stop") o.idleStopMs = count(a, v()) * 1000;
    else if (a === "--quiet") o.quiet = true;
    else if (a === "-h" || a === "--help") {
      console.log(USAGE);
      process.exit(0);
    } else throw new Error(`unknown argument ${a}`);
  }
  if (!o.stateDir || !o.account || !o.tokens.length) throw new Error("--state-dir, --account and --token are required");
  if (!Number.isInteger(o.port) || o.port < 0 || o.port > 65535) throw new Error("--port must be a port number");
  return o;
}

let opts;
try {
  opts = parseArgs(process.argv.slice(2));
} catch (e) {
  console.error(`cfstandin: ${e.message}\n${USAGE}`);
  process.exit(2);
}
const log = opts.quiet ? () => {} : (line) => console.log(`[cfstandin] ${line}`);
const standin = await startStandin({
  port: opts.port,
  stateDir: opts.stateDir,
  accounts: [{ id: opts.account, tokens: opts.tokens, subdomain: opts.subdomain, zones: opts.zones }],
  log,
  maxRuntimes: opts.maxRuntimes,
  idleStopMs: opts.idleStopMs,
});
console.log(`READY ${standin.apiBase} (admin ${standin.url}/__standin, started in ${standin.startupMs} ms)`);

// Miniflare installs SIGTERM/SIGINT handlers that kill workerd and exit(143) at once; replace them
// with an orderly shutdown (listeners closed, runtimes disposed, exit 0). Its "exit" hook stays as
// a backstop, and it does not re-install the signal handlers while the storage hub's Miniflare lives.
let stopping = false;
for (const sig of ["SIGTERM", "SIGINT"]) {
  process.removeAllListeners(sig);
  process.on(sig, async () => {
    if (stopping) return;
    stopping = true;
    await standin.close(); // disposes every workerd child (script runtimes and the storage hub)
    console.log("cfstandin stopped");
    process.exit(0);
  });
}

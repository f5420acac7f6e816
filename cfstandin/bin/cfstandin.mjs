#!/usr/bin/env node
// cfstandin: a local Cloudflare API stand-in (see ../README.md).
//   node bin/cfstandin.mjs --port 8799 --state-dir DIR --account ID --token TOKEN [--subdomain NAME] [--zone NAME]...
import { startStandin } from "../src/server.mjs";

const USAGE = "usage: cfstandin.mjs --port N --state-dir DIR --account ID --token TOKEN [--token TOKEN]... [--subdomain NAME] [--zone NAME]... [--quiet]";

function parseArgs(argv) {
  const o = { tokens: [], zones: [], port: 8799, quiet: false };
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

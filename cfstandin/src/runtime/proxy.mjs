// Forward an incoming HTTP request to a script runtime (workerd) and stream the answer back.
import http from "node:http";

/** @param {URL|null} upstream the runtime's address, null when the script has no running deployment */
export function proxyRequest(req, res, upstream) {
  if (!upstream) {
    res.writeHead(503, { "content-type": "text/plain" }).end("cfstandin: the script has no running deployment\n");
    return;
  }
  const out = http.request(
    { host: upstream.hostname, port: upstream.port, method: req.method, path: req.url, headers: req.headers },
    (r) => {
      res.writeHead(r.statusCode, r.rawHeaders);
      r.pipe(res);
    },
  );
  out.on("error", (e) => {
    if (!res.headersSent) res.writeHead(502, { "content-type": "text/plain" });
    res.end(`cfstandin: script runtime unreachable: ${e.message}\n`);
  });
  req.pipe(out);
}

/**
 * Call `release` when the response closes, so a runtime lease lasts as long as its request. A
 * client that gave up while the request waited (for its runtime's start) has closed the response
 * already and "close" will not come again: release at once and answer false (nobody to answer).
 */
export function releaseOnClose(res, release) {
  if (res.closed || res.destroyed) {
    release();
    return false;
  }
  res.once("close", release);
  return true;
}

/** A loopback listener that serves one script (its stable per-script URL) with `handle(req, res)`. */
export async function listenForScript(port, handle) {
  const server = http.createServer(handle);
  const listen = (p) =>
    new Promise((resolve, reject) => {
      server.once("error", reject);
      server.listen(p, "127.0.0.1", () => {
        server.off("error", reject);
        resolve();
      });
    });
  try {
    await listen(port ?? 0);
  } catch (e) {
    if (e.code !== "EADDRINUSE" || !port) throw e;
    await listen(0); // the port remembered from a previous run is taken now
  }
  return server;
}

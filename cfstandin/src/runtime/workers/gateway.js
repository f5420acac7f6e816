// Storage hub gateway (runs in the hub's workerd). Script runtimes reach their KV/R2/D1 bindings
// through Miniflare's remote-binding client, which forwards each binding call as HTTP to
//   /raw/<kv|r2|d1>/<id>   with MF-URL, MF-Binding and MF-Header-* headers.
// Here the call goes to the simulator object for that id, exactly as Miniflare's own
// object-entry worker does, so every script (and the API) shares one storage per id.
const OBJECTS = { kv: "KV_OBJECTS", r2: "R2_OBJECTS", d1: "D1_OBJECTS" };

export default {
  async fetch(request, env) {
    const m = /^\/raw\/(kv|r2|d1)\/([^/]+)$/.exec(new URL(request.url).pathname);
    if (!m) return new Response("cfstandin storage hub: unknown path", { status: 404 });
    const name = decodeURIComponent(m[2]);
    const headers = new Headers();
    for (const [k, v] of request.headers) {
      if (k.startsWith("mf-header-")) headers.set(k.slice("mf-header-".length), v);
      else if (k === "upgrade") headers.set(k, v);
    }
    const ns = env[OBJECTS[m[1]]];
    const stub = ns.get(ns.idFromName(name));
    const target = request.headers.get("MF-URL") ?? "http://placeholder/";
    return stub.fetch(target, new Request(request, { headers, redirect: "manual", cf: { miniflare: { name } } }));
  },
};

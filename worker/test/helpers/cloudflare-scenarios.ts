// A handler written for Cloudflare's Python Workers API (test/fixtures/cloudflare-app), run unmodified
// on python.wasm: the same scenarios on the node host and in workerd (issue #19).
import { expect, it } from "vitest";
import { Host, loopbackServers } from "./scenarios";

export function defineCloudflareScenarios(host: () => Host) {
  const servers = loopbackServers();

  it("class Default(WorkerEntrypoint) answers", async () => {
    const r = await host().fetch("/");
    expect(r.status).toBe(200);
    expect(await r.text()).toBe("Hello from a Cloudflare Python Worker!");
  });

  it("await request.json() and awaited KV put/get/list", async () => {
    const r = await host().fetch("/kv", { method: "POST", body: JSON.stringify({ key: "cf-name", value: "Ada" }) });
    expect(r.status).toBe(200);
    expect(await r.json()).toEqual({ value: "Ada", keys: ["cf-name"] });
  });

  it("awaited D1 exec/prepare/bind/run/all/first with rows read by attribute", async () => {
    await host().fetch("/d1?body=first");
    const r = await host().fetch("/d1?body=second");
    expect(r.status).toBe(200);
    expect(await r.json()).toEqual({ latest: "second", count: 2 });
  });

  it("awaited R2 put/get and the object's text() and httpMetadata", async () => {
    const r = await host().fetch("/r2");
    expect(r.status).toBe(200);
    expect(r.headers.get("content-type")).toBe("text/plain");
    expect(await r.text()).toBe("stored text");
  });

  it("fetch() under asyncio.gather reaches loopback servers", async () => {
    const r = await host().fetch(`/fetch?url=${encodeURIComponent(servers.httpUrl)}`);
    expect(r.status).toBe(200);
    expect(await r.json()).toEqual(["GET /a from=undefined body=", "POST /b from=undefined body=ping"]);
  });

  it("await request.form_data() of an urlencoded form", async () => {
    const r = await host().fetch("/form", { method: "POST", body: new URLSearchParams({ a: "1", b: "two words" }) });
    expect(await r.json()).toEqual({ a: "1", b: "two words" });
  });

  it("ctx.wait_until work is done when the request ends", async () => {
    expect((await host().fetch("/kv-get?key=later")).status).toBe(404);
    expect((await host().fetch("/later?value=kept")).status).toBe(202);
    const later = await host().fetch("/kv-get?key=later");
    expect(await later.text()).toBe("kept");
  });

  it("an ASGI app through asgi.fetch (lifespan state included) and a WSGI app through wsgi.fetch", async () => {
    const a = await host().fetch("/asgi/items", { method: "POST", body: "one" });
    expect(`${a.status} ${await a.text()}`).toBe("200 POST /asgi/items one started=yes");
    const w = await host().fetch("/wsgi/x", { method: "PUT", body: "two" });
    expect(`${w.status} ${await w.text()}`).toBe("200 PUT /wsgi/x two");
  });

  it("asyncio.wait_for times out a sleep", async () => {
    expect(await (await host().fetch("/timeout")).text()).toBe("timed out");
  });
}

// The queue producer binding of a script runtime (a Miniflare wrapped binding): `env.<NAME>` is the
// object this function returns, with the Queue API's send/sendBatch. Messages go to the stand-in's
// broker (a Node service, BROKER) as JSON: {queue, messages: [{contentType, body, delaySeconds?}]},
// where a bytes body is base64. `queue` (the queue's name) comes from the upload's binding.
function toB64(bytes) {
  let s = "";
  for (let i = 0; i < bytes.length; i += 0x8000) s += String.fromCharCode(...bytes.subarray(i, i + 0x8000));
  return btoa(s);
}

function encode(body, options = {}) {
  let contentType = options.contentType;
  if (contentType === undefined) {
    contentType = typeof body === "string" ? "text" : body instanceof ArrayBuffer || ArrayBuffer.isView(body) ? "bytes" : "json";
  }
  if (contentType === "v8") throw new TypeError("cfstandin: contentType 'v8' is not supported; use json, text or bytes");
  let wire;
  if (contentType === "bytes") {
    const view = body instanceof ArrayBuffer ? new Uint8Array(body) : new Uint8Array(body.buffer, body.byteOffset, body.byteLength);
    wire = toB64(view);
  } else if (contentType === "text") {
    if (typeof body !== "string") throw new TypeError("a text message body must be a string");
    wire = body;
  } else {
    wire = body;
    JSON.stringify(body);
  }
  const out = { contentType, body: wire };
  if (options.delaySeconds !== undefined) out.delaySeconds = options.delaySeconds;
  return out;
}

export default function (env) {
  const post = async (messages) => {
    const r = await env.BROKER.fetch("http://cfstandin-broker/send", {
      method: "POST",
      headers: { "content-type": "application/json" },
      body: JSON.stringify({ queue: env.queue, messages }),
    });
    if (!r.ok) throw new Error(`Queue send failed: ${await r.text()}`);
  };
  return {
    send: (body, options) => post([encode(body, options)]),
    sendBatch: (messages, options = {}) =>
      post([...messages].map((m) => encode(m.body, { delaySeconds: options.delaySeconds, ...m }))),
  };
}

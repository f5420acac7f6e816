// A Miniflare external plugin (loaded through Miniflare's `unsafeBindings`) whose only job is to
// give a worker raw workerd bindings, here Durable Object namespace bindings to Miniflare's own
// KV/R2/D1 simulator objects. The storage hub's gateway needs them to serve any namespace, bucket
// or database by id without knowing the ids when it starts.
export const plugins = {
  "cfstandin-raw": {
    options: undefined,
    getBindings(entries) {
      return (entries ?? []).map((e) => ({ name: e.name, ...e.options.binding }));
    },
    getNodeBindings() {
      return {};
    },
    getServices() {
      return [];
    },
  },
};

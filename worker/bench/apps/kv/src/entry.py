from pymode.workers import Response


def on_fetch(request, env):
    return Response.json(env.MY_KV.get("key", type="json"))

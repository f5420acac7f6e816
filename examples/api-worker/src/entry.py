from pymode.workers import Response

from helpers import greeting
from src.utils.validate import clean_name


def on_fetch(request, env):
    if request.path == "/api/data" and request.method == "PUT":
        env.MY_KV.put("key", request.text())
        return Response("stored", status=201)
    if request.path == "/api/data":
        return Response.json(env.MY_KV.get("key", type="json"))
    if request.path == "/greet":
        name = clean_name(request.query.get("name", ["World"])[0])
        return Response(greeting(name, env.GREETING))
    return Response("Not Found", status=404)

"""The handler of DESIGN.md's example: loaded in-process (test_handler) and served by `pymode dev`."""

DESIGN_EXAMPLE = '''
from pymode.workers import Response
def on_fetch(request, env):            # may also be `async def`
    if request.path == "/api/data":
        return Response.json(env.MY_KV.get("key", type="json"))
    if request.path == "/greet":
        name = request.query.get("name", ["World"])[0]
        return Response(f"Hello, {name}!")
    return Response("Not Found", status=404)
'''

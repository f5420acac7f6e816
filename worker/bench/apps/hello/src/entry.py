from pymode.workers import Response


def on_fetch(request, env):
    return Response("Hello from PyMode!")

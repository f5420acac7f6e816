"""ASGI and WSGI apps as Worker handlers, as Cloudflare's Python Workers run them (`asgi.fetch`,
`wsgi.fetch`, `*.entrypoint(app)`; issues #17 and #19). The apps are written against the specifications
alone, so these tests need no framework."""

import json

from test_handler import project, serve  # noqa: F401  (fixtures and helpers)


def test_an_asgi_app_gets_the_request_and_env_and_its_startup_runs_once(project):
    project({"src/entry.py": """
        import json
        from workers import WorkerEntrypoint
        import asgi

        startups = []

        async def app(scope, receive, send):
            if scope["type"] == "lifespan":
                message = await receive()
                assert message["type"] == "lifespan.startup"
                startups.append(1)
                scope["state"]["greeting"] = "from startup"
                await send({"type": "lifespan.startup.complete"})
                await receive()  # shutdown
                return
            request = await receive()
            body = json.dumps({
                "method": scope["method"], "path": scope["path"], "query": scope["query_string"].decode(),
                "header": dict(scope["headers"]).get(b"x-test", b"").decode(), "body": request["body"].decode(),
                "state": scope["state"].get("greeting"), "var": scope["env"].GREETING, "startups": len(startups),
            }).encode()
            await send({"type": "http.response.start", "status": 201,
                        "headers": [(b"content-type", b"application/json"), (b"x-app", b"asgi")]})
            await send({"type": "http.response.body", "body": body[:5], "more_body": True})
            await send({"type": "http.response.body", "body": body[5:]})

        class Default(WorkerEntrypoint):
            async def fetch(self, request):
                return await asgi.fetch(app, request, self.env)
    """})
    for expected_startups in (1, 1):
        status, headers, body = serve("POST", "https://w.example/items/a%20b?x=1", [("x-test", "yes")], b"payload")
        assert (status, headers["content-type"], headers["x-app"]) == (201, "application/json", "asgi")
        assert json.loads(body) == {"method": "POST", "path": "/items/a b", "query": "x=1", "header": "yes",
                                    "body": "payload", "state": "from startup", "var": "hello",
                                    "startups": expected_startups}


def test_an_asgi_app_without_lifespan_support_is_served_and_entrypoint_makes_the_class(project):
    project({"src/entry.py": """
        from workers import asgi

        async def app(scope, receive, send):
            if scope["type"] != "http":
                raise ValueError(f"unsupported scope {scope['type']}")
            await send({"type": "http.response.start", "status": 200, "headers": [(b"content-type", b"text/plain")]})
            await send({"type": "http.response.body", "body": b"no lifespan here"})

        Default = asgi.entrypoint(app)
    """})
    assert serve("GET", "https://w.example/")[::2] == (200, b"no lifespan here")


def test_a_failed_asgi_startup_or_an_app_that_never_answers_is_a_500(project):
    project({"src/entry.py": """
        from workers import WorkerEntrypoint, Response
        import asgi

        async def failing(scope, receive, send):
            if scope["type"] == "lifespan":
                await receive()
                await send({"type": "lifespan.startup.failed", "message": "no database"})

        async def silent(scope, receive, send):
            if scope["type"] == "http":
                await receive()

        class Default(WorkerEntrypoint):
            async def fetch(self, request):
                try:
                    app = failing if request.url.endswith("/fail") else silent
                    return await asgi.fetch(app, request, self.env)
                except Exception as exc:
                    return Response(f"{type(exc).__name__}: {exc}", status=500)
    """})
    assert serve("GET", "https://w.example/fail")[::2] == (500, b"LifespanStartupFailed: no database")
    assert serve("GET", "https://w.example/fail")[::2] == (500, b"LifespanStartupFailed: no database")
    assert serve("GET", "https://w.example/silent")[::2] == (
        500, b"RuntimeError: ASGI app returned without sending http.response.start")


def test_a_wsgi_app_gets_its_environ_and_the_response_is_collected(project):
    project({"src/entry.py": """
        from workers import wsgi

        closed = []

        class Body(list):
            def close(self):
                closed.append(True)

        def app(environ, start_response):
            write = start_response("202 Accepted", [("Content-Type", "text/plain"), ("X-App", "wsgi")])
            write(b"written;")
            seen = [environ["REQUEST_METHOD"], environ["PATH_INFO"], environ["QUERY_STRING"],
                    environ["CONTENT_TYPE"], environ["HTTP_X_TEST"], environ["wsgi.input"].read().decode(),
                    environ["env"].GREETING, str(len(closed))]
            return Body([";".join(seen).encode()])

        Default = wsgi.entrypoint(app)
    """})
    status, headers, body = serve("PUT", "https://w.example/p?q=2", [("content-type", "text/csv"), ("x-test", "t")],
                                  b"a,b")
    assert (status, headers["x-app"]) == (202, "wsgi")
    assert body == b"written;PUT;/p;q=2;text/csv;t;a,b;hello;0"
    # close() ran after the first response: the next one sees it
    assert serve("PUT", "https://w.example/p?q=2", [("content-type", "text/csv"), ("x-test", "t")],
                 b"a,b")[2].endswith(b";1")

"""Handlers written for Cloudflare's Python Workers API (`workers` module) run unmodified (issue #19).

Each entry below is written the way Cloudflare's documentation writes it: a
`Default(WorkerEntrypoint)` class or a module-level `on_fetch`, bodies and
bindings awaited, results read by attribute. The same runtime keeps serving
pymode's synchronous handlers.
"""

import json

import pytest

from pymode import _handler

from servers import HttpServer
from test_handler import error_logs, frames, project, serve  # noqa: F401  (fixtures and helpers)


def test_a_class_entrypoint_awaits_its_body_and_kv(project, env):
    project({"src/entry.py": """
        from workers import WorkerEntrypoint, Response

        class Default(WorkerEntrypoint):
            async def fetch(self, request):
                data = await request.json()
                await self.env.MY_KV.put("name", data["name"], expirationTtl=3600)
                stored = await self.env.MY_KV.get("name")
                return Response.json({"hello": stored, "method": request.method, "greeting": self.env.GREETING})
    """})
    status, headers, body = serve("POST", "https://w.example/", [("content-type", "application/json")],
                                  b'{"name": "Ada"}')
    assert status == 200 and headers["content-type"] == "application/json"
    assert json.loads(body) == {"hello": "Ada", "method": "POST", "greeting": "hello"}
    assert env.MY_KV.get("name") == "Ada"


def test_a_module_level_handler_using_the_workers_module_gets_its_types(project):
    project({"src/entry.py": """
        from workers import Response

        async def on_fetch(request, env):
            text = await request.text()
            return Response(text.upper(), headers={"content-type": "text/plain"})
    """})
    assert serve("POST", "https://w.example/", body=b"shout")[::2] == (200, b"SHOUT")


def test_handler_marks_a_function_and_wait_until_work_runs_before_the_request_ends(project, env):
    project({"src/entry.py": """
        import asyncio
        from workers import handler

        async def remember(env, value):
            await asyncio.sleep(0)
            await env.MY_KV.put("seen", value)

        @handler
        async def on_fetch(request, env, ctx):
            ctx.waitUntil(remember(env, request.url))
            ctx.wait_until(remember(env, "second"))
            return "accepted"
    """})
    assert serve(url="https://w.example/x")[::2] == (200, b"accepted")
    assert env.MY_KV.get("seen") == "second"


def test_a_failing_wait_until_task_is_logged_and_the_response_stands(project, host):
    project({"src/entry.py": """
        from workers import Response

        async def broken():
            raise RuntimeError("side job failed")

        async def on_fetch(request, env, ctx):
            ctx.wait_until(broken())
            return Response("ok")
    """})
    assert serve()[::2] == (200, b"ok")
    assert any("ctx.wait_until task failed: RuntimeError: side job failed" in m for _, m in host.logs)


def test_d1_r2_and_kv_follow_cloudflares_method_names_and_result_shapes(project, host):
    project({"src/entry.py": """
        from workers import WorkerEntrypoint, Response

        class Default(WorkerEntrypoint):
            async def fetch(self, request):
                db, bucket, kv = self.env.DB, self.env.BUCKET, self.env.MY_KV
                await db.exec("CREATE TABLE IF NOT EXISTS users (id INTEGER PRIMARY KEY, name TEXT)")
                inserted = await db.prepare("INSERT INTO users (name) VALUES (?)").bind("Ada").run()
                await db.batch([db.prepare("INSERT INTO users (name) VALUES (?)").bind(n) for n in ("Bo", "Cy")])
                rows = await db.prepare("SELECT id, name FROM users ORDER BY id").all()
                first = await db.prepare("SELECT name FROM users WHERE id = ?").bind(2).first("name")
                raw = await db.prepare("SELECT name FROM users ORDER BY id").raw(columnNames=True)

                await bucket.put("notes/a.txt", "alpha", httpMetadata={"contentType": "text/plain"},
                                 customMetadata={"by": "ada"})
                obj = await bucket.get("notes/a.txt")
                listing = await bucket.list(prefix="notes/")

                await kv.put("doc", '{"n": 1}', metadata={"v": 2})
                kv_list = await kv.list(prefix="d")
                doc = await kv.get("doc", type="json")
                same = await kv.get("doc", "json")
                raw_kv = await kv.get("doc", {"type": "arrayBuffer"})
                with_meta = await kv.getWithMetadata("doc")
                return Response.json({
                    "changes": inserted.meta["changes"], "success": rows.success,
                    "names": [row.name for row in rows.results], "subscript": rows.results[0]["name"],
                    "first": first, "raw": raw,
                    "text": await obj.text(), "key": obj.key, "size": obj.size,
                    "type": obj.httpMetadata.contentType, "by": obj.customMetadata["by"],
                    "listed": [o.key for o in listing.objects], "truncated": listing.truncated,
                    "missing": await bucket.get("nope") is None, "head_missing": await bucket.head("nope") is None,
                    "kv_keys": [k.name for k in kv_list.keys], "complete": kv_list.list_complete,
                    "doc": doc, "same": same == doc, "bytes": raw_kv.to_bytes().decode(),
                    "meta": with_meta.metadata.v, "plain": rows.to_py()["results"][0],
                })
    """})
    status, _, body = serve()
    assert status == 200, error_logs(host)
    assert json.loads(body) == {
        "changes": 1, "success": True, "names": ["Ada", "Bo", "Cy"], "subscript": "Ada", "first": "Bo",
        "raw": [["name"], ["Ada"], ["Bo"], ["Cy"]],
        "text": "alpha", "key": "notes/a.txt", "size": 5, "type": "text/plain", "by": "ada",
        "listed": ["notes/a.txt"], "truncated": False, "missing": True, "head_missing": True,
        "kv_keys": ["doc"], "complete": True, "doc": {"n": 1}, "same": True, "bytes": '{"n": 1}',
        "meta": 2, "plain": {"id": 1, "name": "Ada"},
    }


def test_fetch_awaits_an_upstream_and_reads_it_like_the_web_api(project, host):
    with HttpServer() as upstream:
        project({"src/entry.py": f"""
            import asyncio
            from workers import Response, fetch

            async def on_fetch(request, env):
                first, second = await asyncio.gather(
                    fetch("{upstream.url}/echo?n=1"),
                    fetch("{upstream.url}/echo", method="POST", body="payload", headers={{"x-trace": "t1"}}))
                sent = await second.json()
                missing = await fetch("{upstream.url}/missing")
                return Response.json({{
                    "status": first.status, "ok": first.ok, "type": first.headers.get("content-type"),
                    "path": (await first.json())["path"], "posted": sent["body"], "trace": sent["headers"]["x-trace"],
                    "missing": [missing.status, missing.ok],
                }})
        """})
        status, _, body = serve()
    assert status == 200, error_logs(host)
    assert json.loads(body) == {"status": 200, "ok": True, "type": "application/json", "path": "/echo?n=1",
                                "posted": "payload", "trace": "t1", "missing": [404, False]}


def test_forms_are_parsed_and_a_body_is_read_once(project, host):
    project({"src/entry.py": """
        from workers import Response, FormData

        async def on_fetch(request, env):
            form = await request.form_data()
            try:
                await request.text()
                again = "read twice"
            except OSError as exc:
                again = str(exc)
            upload = form.get("file")
            return Response.json({
                "name": form["name"], "tags": form.get_all("tag"), "again": again,
                "file": None if upload is None else [upload.name, await upload.text(), upload.content_type],
            })
    """})
    status, _, body = serve("POST", "https://w.example/", [("content-type", "application/x-www-form-urlencoded")],
                            b"name=Ada+L&tag=a&tag=b")
    assert json.loads(body) == {"name": "Ada L", "tags": ["a", "b"], "again": "Body already used", "file": None}

    boundary = "XyZ"
    multipart = (f"--{boundary}\r\ncontent-disposition: form-data; name=\"name\"\r\n\r\nBo\r\n"
                 f"--{boundary}\r\ncontent-disposition: form-data; name=\"file\"; filename=\"n.txt\"\r\n"
                 f"content-type: text/plain\r\n\r\nfile body\r\n--{boundary}--\r\n").encode()
    status, _, body = serve("POST", "https://w.example/", [("content-type", f"multipart/form-data; boundary={boundary}")],
                            multipart)
    assert status == 200, error_logs(host)
    assert json.loads(body) == {"name": "Bo", "tags": [], "again": "Body already used",
                                "file": ["n.txt", "file body", "text/plain"]}


def test_a_form_data_response_round_trips(project):
    project({"src/entry.py": """
        from workers import Response, FormData, File

        async def on_fetch(request, env):
            form = FormData({"a": "1"})
            form.append("upload", File(b"\\x00\\x01", "b.bin", content_type="application/octet-stream"))
            response = Response(form)
            parsed = await response.form_data()
            return Response.json({"a": parsed["a"], "upload": list(await parsed["upload"].bytes()),
                                  "type": response.headers["content-type"].split(";")[0]})
    """})
    assert json.loads(serve()[2]) == {"a": "1", "upload": [0, 1], "type": "multipart/form-data"}


def test_pymode_handlers_keep_their_synchronous_api_and_take_one_to_three_arguments(project, env):
    project({"src/entry.py": """
        def on_fetch(request):
            return {"body": request.json()}
    """})
    assert json.loads(serve("POST", body=b'{"x": 1}')[2]) == {"body": {"x": 1}}
    project({"src/entry.py": """
        def on_fetch(request, env, ctx):
            env.MY_KV.put("sync", "yes")
            return type(ctx).__name__
    """})
    assert serve()[::2] == (200, b"Context") and env.MY_KV.get("sync") == "yes"


def test_upstream_pymodes_fetch_handler_name_is_served_and_workers_fetch_is_not_taken_for_one(project):
    project({"src/entry.py": """
        def fetch(request, env):
            return "upstream style"
    """})
    assert serve()[::2] == (200, b"upstream style")
    with pytest.raises(_handler.LoadError, match="defines no handler: on_fetch"):
        project({"src/entry.py": "from workers import fetch\n"})


def test_a_class_without_fetch_queue_or_scheduled_is_a_load_error_that_says_so(project):
    with pytest.raises(_handler.LoadError, match=r"class Default\(WorkerEntrypoint\) has no fetch"):
        project({"src/entry.py": """
            from workers import WorkerEntrypoint

            class Default(WorkerEntrypoint):
                async def email(self, message, env, ctx):
                    pass
        """})


def test_an_uncaught_error_in_an_async_class_handler_is_a_500_naming_only_its_type(project, host):
    project({"src/entry.py": """
        from workers import WorkerEntrypoint

        class Default(WorkerEntrypoint):
            async def fetch(self, request):
                raise ValueError("secret detail")
    """})
    status, _, body = serve()
    assert (status, body) == (500, b"Internal Server Error: uncaught ValueError")
    assert "secret detail" in error_logs(host)


def test_the_early_js_module_style_runs_too(project, host):
    project({"src/entry.py": """
        from js import JSON, Response, console, fetch

        async def on_fetch(request, env):
            data = JSON.parse(await request.text())
            console.log("got", data.name)
            await env.MY_KV.put("js", data.name)
            return Response.new(JSON.stringify({"name": await env.MY_KV.get("js")}),
                                headers={"content-type": "application/json"}, status=201)
    """})
    status, headers, body = serve("POST", body=b'{"name": "Ada"}')
    assert (status, headers["content-type"], json.loads(body)) == (201, "application/json", {"name": "Ada"})
    assert (20, "got Ada") in host.logs


def test_a_js_global_the_runtime_does_not_offer_is_an_import_error_naming_the_offer(project):
    with pytest.raises(_handler.LoadError, match=r"offers only JSON, .* not 'document'"):
        project({"src/entry.py": "from js import document\n"})


def test_asyncio_run_works_on_the_loop_python_wasm_gets():
    """python.wasm cannot create asyncio's selector loop; pymode makes MiniLoop asyncio's loop there
    (pymode._wasi). Here, natively, the same policy is installed by hand."""
    import asyncio

    from pymode import _aio

    async def main():
        await asyncio.sleep(0.001)
        return await asyncio.wait_for(asyncio.gather(asyncio.sleep(0, result=1), asyncio.sleep(0, result=2)), 1)

    previous = asyncio.get_event_loop_policy()
    _aio.install_policy()
    try:
        with asyncio.Runner() as runner:
            assert isinstance(runner.get_loop(), _aio.MiniLoop)
            assert runner.run(main()) == [1, 2]
            assert runner.run(main()) == [1, 2]  # run_until_complete keeps the loop open
        assert asyncio.run(main()) == [1, 2]
    finally:
        asyncio.set_event_loop_policy(previous)

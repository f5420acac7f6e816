"""`pymode dev`: the handler served over real HTTP by the CLI in a subprocess."""

import json
import os
import shutil
import time

from design import DESIGN_EXAMPLE
from pymode import _native
from pymode.cli.main import main

from .conftest import REPO, request, run_cli, worker_yaml, write_files

KV_WORKER = """\
apiVersion: pymode.dev/v1alpha1
kind: PyModeWorker
metadata:
  name: design
spec:
  source: {configMapRef: {name: design-source}}
  bindings:
    kv:
      - name: MY_KV
        namespace: design-data
"""

ENV_ENTRY = '''
from pymode.workers import Response
def on_fetch(request, env):
    return Response.json({
        "API_KEY": env.get("API_KEY"), "GREETING": env.get("GREETING"), "QUOTED": env.get("QUOTED"),
        "MULTI": env.get("MULTI"), "EXTRA": env.get("EXTRA"), "repr": repr(env),
    })
'''


def test_init_project_is_served_by_dev(tmp_path, dev):
    assert main(["init", str(tmp_path / "hello")]) == 0
    server = dev(tmp_path / "hello")
    status, headers, body = server.get("/")
    assert (status, body) == (200, b"Hello from PyMode!")
    assert headers["content-type"] == "text/plain; charset=utf-8"
    assert server.get("/greet?name=Ada")[::2] == (200, b"Hello, Ada!")
    assert "listening on http://127.0.0.1:" in server.stdout
    # HEAD: the headers of GET, no body.
    status, headers, body = server.get("/", method="HEAD")
    assert (status, headers["content-length"], body) == (200, "18", b"")


def test_design_example_with_kv_seeded_in_the_persistent_state(tmp_path, dev):
    project = write_files(tmp_path / "design", {"src/entry.py": DESIGN_EXAMPLE, "worker.yaml": KV_WORKER})
    # Seed KV the way a previous dev session would have: the same state directory.
    host = _native.NativeHost(str(project / ".pymode" / "state"), log_stream=None)
    try:
        host.kv.op("MY_KV", "put", {"key": "key"}, [b'{"items": [1, 2, 3]}'])
    finally:
        host.close()
    server = dev(project)
    assert "MY_KV (kv)" in server.stdout
    status, headers, body = server.get("/api/data")
    assert (status, headers["content-type"], json.loads(body)) == (200, "application/json", {"items": [1, 2, 3]})
    assert server.get("/greet?name=Ada")[::2] == (200, b"Hello, Ada!")
    assert server.get("/greet")[::2] == (200, b"Hello, World!")
    assert server.get("/nope")[::2] == (404, b"Not Found")


def test_api_worker_example_put_then_get_persists_across_restarts(tmp_path, dev):
    project = tmp_path / "api-worker"
    shutil.copytree(REPO / "examples" / "api-worker", project)
    server = dev(project)
    status, _, body = server.get("/api/data", method="PUT", body=b'{"n": 42}',
                                 headers={"content-type": "application/json"})
    assert (status, body) == (201, b"stored")
    assert json.loads(server.get("/api/data")[2]) == {"n": 42}
    assert server.get("/greet?name=Ada<script>")[::2] == (200, b"Hello, Adascript!")
    server.stop()
    again = dev(project)
    assert json.loads(again.get("/api/data")[2]) == {"n": 42}
    assert (project / ".pymode" / "state" / "kv.sqlite3").is_file()


def test_dev_vars_reach_env_and_env_options_override(tmp_path, dev):
    project = write_files(tmp_path / "p", {
        "src/entry.py": ENV_ENTRY,
        "worker.yaml": worker_yaml("""\
            vars:
              GREETING: "Hello from worker.yaml"
            secrets:
              - name: API_KEY
                secretKeyRef: {name: creds, key: token}
            """),
        ".dev.vars": """\
            # local secrets
            API_KEY=s3cr3t  # trailing comment
            export QUOTED="a \\"quoted\\" value # not a comment"
            MULTI="line one
            line two"
            EXTRA='single # kept'
            """,
    })
    server = dev(project)
    values = json.loads(server.get("/")[2])
    assert values["API_KEY"] == "s3cr3t"
    assert values["GREETING"] == "Hello from worker.yaml"
    assert values["QUOTED"] == 'a "quoted" value # not a comment'
    assert values["MULTI"] == "line one\nline two"
    assert values["EXTRA"] == "single # kept"
    assert "s3cr3t" not in values["repr"] and "API_KEY=<secret>" in values["repr"]
    assert "s3cr3t" not in server.stdout + server.stderr
    server.stop()

    overridden = dev(project, "--env", "GREETING=from --env", "--env", "API_KEY=other", "--env", "EXTRA=x=y")
    values = json.loads(overridden.get("/")[2])
    assert (values["GREETING"], values["API_KEY"], values["EXTRA"]) == ("from --env", "other", "x=y")
    assert "API_KEY=<secret>" in values["repr"]  # still a secret, only its value changed


def test_missing_secret_value_is_a_warning(tmp_path, dev):
    project = write_files(tmp_path / "p", {
        "src/entry.py": ENV_ENTRY,
        "worker.yaml": worker_yaml("""\
            secrets: [{name: API_KEY, secretKeyRef: {name: creds, key: token}}]
            """),
    })
    server = dev(project)
    assert "secret API_KEY (worker.yaml) has no value" in server.stderr
    assert json.loads(server.get("/")[2])["API_KEY"] is None


def test_reload_picks_up_an_edited_handler_and_new_modules(tmp_path, dev):
    project = write_files(tmp_path / "p", {
        "src/entry.py": """\
            from pymode.workers import Response
            def on_fetch(request, env):
                return Response("version 1")
            """,
    })
    server = dev(project, "--verbose")
    assert server.get("/")[2] == b"version 1"
    # Same size and the same whole second as the first version (what .pyc files record):
    # the cached bytecode of version 1 must not win.
    entry = project / "src" / "entry.py"
    before = entry.stat().st_mtime_ns
    write_files(project, {"src/entry.py": """\
        from pymode.workers import Response
        def on_fetch(request, env):
            return Response("version 2")
        """})
    same_second = before + 1 if (before + 1) // 10**9 == before // 10**9 else before - 1
    os.utime(entry, ns=(same_second, same_second))
    server.wait_for(lambda: server.get("/")[2] == b"version 2", what="version 2")
    # A new sibling module, imported by the entry.
    write_files(project, {
        "src/helpers.py": "def word():\n    return 'from helpers'\n",
        "src/entry.py": """\
            from pymode.workers import Response
            from helpers import word
            def on_fetch(request, env):
                return Response(word())
            """,
    })
    server.wait_for(lambda: server.get("/")[2] == b"from helpers", what="helpers")
    write_files(project, {"src/helpers.py": "def word():\n    return 'helpers v2'\n"})
    server.wait_for(lambda: server.get("/")[2] == b"helpers v2", what="helpers v2")
    assert "src/helpers.py changed, reloading" in server.stdout
    assert "GET / -> 200 in" in server.stderr  # --verbose request log with timing


def test_reload_of_dev_vars_changes_env(tmp_path, dev):
    project = write_files(tmp_path / "p", {"src/entry.py": ENV_ENTRY, ".dev.vars": "API_KEY=one\n"})
    server = dev(project)
    assert json.loads(server.get("/")[2])["API_KEY"] == "one"
    (project / ".dev.vars").write_text("API_KEY=two-two\n")
    server.wait_for(lambda: json.loads(server.get("/")[2])["API_KEY"] == "two-two", what="new .dev.vars")


def test_cors_preflight_and_headers(tmp_path, dev):
    assert main(["init", str(tmp_path / "c")]) == 0
    server = dev(tmp_path / "c")
    status, headers, body = server.get("/", method="OPTIONS", headers={
        "Origin": "http://app.test", "Access-Control-Request-Method": "PUT",
        "Access-Control-Request-Headers": "content-type, x-token"})
    assert (status, body) == (204, b"")
    assert headers["access-control-allow-origin"] == "http://app.test"
    assert "PUT" in headers["access-control-allow-methods"]
    assert headers["access-control-allow-headers"] == "content-type, x-token"
    status, headers, body = server.get("/", headers={"Origin": "http://app.test"})
    assert (status, body, headers["access-control-allow-origin"]) == (200, b"Hello from PyMode!", "http://app.test")
    server.stop()
    plain = dev(tmp_path / "c", "--no-cors")
    status, headers, _ = plain.get("/", headers={"Origin": "http://app.test"})
    assert status == 200 and "access-control-allow-origin" not in headers


def test_import_error_is_a_500_with_the_traceback_then_recovers(tmp_path, dev):
    project = write_files(tmp_path / "p", {
        "src/entry.py": """\
            from pymode.workers import Response
            import helpers_that_do_not_exist
            def on_fetch(request, env):
                return Response("ok")
            """,
    })
    server = dev(project)
    assert "NOT LOADED" in server.stdout
    status, headers, body = server.get("/")
    assert status == 500
    assert body.startswith(b"Internal Server Error")
    assert b"ModuleNotFoundError: No module named 'helpers_that_do_not_exist'" in body
    assert b"Traceback (most recent call last)" in body
    assert headers["x-pymode-dev-error"] == "load"
    err = server.stderr
    assert "Traceback (most recent call last)" in err
    assert "cannot import entry 'src/entry.py': ModuleNotFoundError" in err
    write_files(project, {"src/entry.py": """\
        from pymode.workers import Response
        def on_fetch(request, env):
            return Response("fixed")
        """})
    server.wait_for(lambda: server.get("/")[::2] == (200, b"fixed"), what="recovery")


def test_missing_on_fetch_is_a_500_naming_the_problem(tmp_path, dev):
    project = write_files(tmp_path / "p", {"src/entry.py": "def handler(request, env):\n    return 'x'\n"})
    server = dev(project)
    status, _, body = server.get("/")
    assert status == 500 and b"defines no handler: on_fetch(request, env)" in body
    assert "defines no handler" in server.stderr


def test_handler_exception_is_the_edge_500_with_traceback_in_the_terminal(tmp_path, dev):
    project = write_files(tmp_path / "p", {"src/entry.py": """\
        def on_fetch(request, env):
            raise ValueError("boom in handler")
        """})
    server = dev(project)
    status, headers, body = server.get("/")
    assert (status, body) == (500, b"Internal Server Error: uncaught ValueError")  # exactly what the edge answers
    assert "x-pymode-dev-error" not in headers
    server.wait_for(lambda: "ValueError: boom in handler" in server.stderr, what="traceback")
    assert "Traceback (most recent call last)" in server.stderr


def test_the_scheduled_handler_is_fired_by_wranglers_test_route(tmp_path, dev):
    project = write_files(tmp_path / "p", {"src/entry.py": """\
        def on_scheduled(event, env):
            if event.cron == "0 0 * * *":
                raise RuntimeError("midnight job failed")
            env.MY_KV.put("cron", event.cron)

        def on_fetch(request, env):
            return env.MY_KV.get("cron") or "never"
        """, "worker.yaml": KV_WORKER})
    server = dev(project)
    assert server.get("/")[2] == b"never"
    assert server.get("/__scheduled?cron=*/5+*+*+*+*")[::2] == (200, b'{"noRetry":false}')
    assert server.get("/")[2] == b"*/5 * * * *"
    assert server.get("/__scheduled")[0] == 200
    assert server.get("/")[2] == b"* * * * *"
    status, _, body = server.get("/__scheduled?cron=0+0+*+*+*")
    assert (status, json.loads(body)) == (500, {"error": "on_scheduled raised RuntimeError"})
    server.wait_for(lambda: "RuntimeError: midnight job failed" in server.stderr, what="traceback")


def test_no_entry_file_exits_non_zero(tmp_path):
    project = write_files(tmp_path / "p", {"pyproject.toml": "[project]\nname = 'p'\nversion = '1'\n"})
    result = run_cli(["dev", str(project), "--port", "0"], timeout=30)
    assert result.returncode == 1
    assert "entry file src/entry.py not found" in result.stderr
    result = run_cli(["dev", str(project), "--port", "0", "--entry", "app/main.py"], timeout=30)
    assert result.returncode == 1 and "entry file app/main.py not found" in result.stderr


def test_entry_option_and_tool_pymode_main(tmp_path, dev):
    project = write_files(tmp_path / "p", {
        "pyproject.toml": "[project]\nname = 'p'\nversion = '1'\n\n[tool.pymode]\nmain = 'app/main.py'\n",
        "app/main.py": "def on_fetch(request, env):\n    return 'from tool.pymode main'\n",
        "other.py": "def on_fetch(request, env):\n    return {'from': 'other'}\n",
    })
    assert dev(project).get("/")[2] == b"from tool.pymode main"
    assert json.loads(dev(project, "--entry", "other.py").get("/")[2]) == {"from": "other"}


def test_port_in_use_is_a_clear_error(tmp_path, dev):
    assert main(["init", str(tmp_path / "a")]) == 0
    first = dev(tmp_path / "a")
    port = first.url.rsplit(":", 1)[1]
    result = run_cli(["dev", str(tmp_path / "a"), "--port", port], timeout=30)
    assert result.returncode == 1 and f"cannot listen on 127.0.0.1:{port}" in result.stderr


def test_bad_dev_vars_line_is_reported(tmp_path):
    project = write_files(tmp_path / "p", {"src/entry.py": ENV_ENTRY, ".dev.vars": "OK=1\nthis is wrong\n"})
    result = run_cli(["dev", str(project), "--port", "0"], timeout=30)
    assert result.returncode == 1
    assert ".dev.vars, line 2: expected KEY=VALUE" in result.stderr


def test_requests_are_timed_and_fast(tmp_path, dev):
    assert main(["init", str(tmp_path / "t")]) == 0
    server = dev(tmp_path / "t")
    started = time.perf_counter()
    for _ in range(20):
        assert request(server.url + "/")[0] == 200
    # Generous bound (2 cores, shared machine): the in-process path is ~1 ms a request.
    assert (time.perf_counter() - started) / 20 < 0.25


QUEUE_WORKER = """\
apiVersion: pymode.dev/v1alpha1
kind: PyModeWorker
metadata:
  name: queues
spec:
  source: {configMapRef: {name: queues-source}}
  bindings:
    kv:
      - name: MY_KV
        namespace: queues-data
    queues:
      - name: JOBS
        queue: jobs
  queueConsumers:
    - queue: jobs
      batchSize: 2
      maxWaitTimeMs: 100
      maxRetries: 1
      deadLetterQueue: jobs-dlq
    - queue: jobs-dlq
      maxWaitTimeMs: 0
"""


def test_queue_messages_reach_the_workers_own_consumer_with_cloudflares_retry_rules(tmp_path, dev):
    project = write_files(tmp_path / "p", {"src/entry.py": """\
        import json
        from pymode.workers import Response

        def on_fetch(request, env):
            if request.path == "/send":
                env.JOBS.send_batch(["a", "fail", "b", "boom"])
                return "sent"
            return Response.json({q: env.MY_KV.get(q, type="json") for q in ("jobs", "jobs-dlq")})

        def on_queue(batch, env):
            seen = env.MY_KV.get(batch.queue, type="json") or []
            for m in batch.messages:
                if m.body == "boom" and m.attempts == 1:
                    raise RuntimeError("boom: the whole batch again")
                if m.body == "fail" and batch.queue == "jobs":
                    m.retry()
                    continue
                seen.append([m.body, m.attempts])
            env.MY_KV.put(batch.queue, json.dumps(seen))
        """, "worker.yaml": QUEUE_WORKER})
    server = dev(project)
    assert server.get("/send")[::2] == (200, b"sent")

    def delivered():
        result = json.loads(server.get("/")[2])
        return result if result["jobs-dlq"] and len(result["jobs"] or []) == 3 else None

    result = server.wait_for(delivered, what="every message consumed")
    # batches of two: [a, fail] (fail retried), [b, boom] (raised: both again), [fail, b] (fail's one retry is
    # spent: to the dead-letter queue, consumed there as a new message), then [boom] once 100 ms have passed
    assert sorted(result["jobs"]) == [["a", 1], ["b", 2], ["boom", 2]]
    assert result["jobs-dlq"] == [["fail", 1]]
    assert "moved to dead-letter queue jobs-dlq after 2 attempts" in server.stderr
    assert "RuntimeError: boom: the whole batch again" in server.stderr


def test_a_cloudflare_style_consumer_class_gets_the_messages_under_dev(tmp_path, dev):
    project = write_files(tmp_path / "p", {"src/entry.py": """\
        from workers import WorkerEntrypoint

        class Default(WorkerEntrypoint):
            async def fetch(self, request):
                if request.url.endswith("/send"):
                    await self.env.JOBS.send({"n": 1})
                    return "sent"
                return await self.env.MY_KV.get("got") or "nothing yet"

            async def queue(self, batch):
                for message in batch.messages:
                    await self.env.MY_KV.put("got", f"{batch.queue}:{message.body['n']}")
        """, "worker.yaml": QUEUE_WORKER})
    server = dev(project)
    assert server.get("/send")[::2] == (200, b"sent")
    assert server.wait_for(lambda: server.get("/")[2] == b"jobs:1", what="the message consumed")


def test_the_watcher_reloads_for_project_files_only(tmp_path):
    from pymode.cli.deps import SITE_STAMP
    from pymode.dev.server import DevServer

    root = write_files(tmp_path / "p", {"src/entry.py": ENV_ENTRY})
    server = DevServer(root)
    watched = lambda rel: server._is_watched(None, os.path.join(server.root, rel))  # noqa: E731
    for rel in ("src/entry.py", "app.py", "lib/deep/mod.py", "pyproject.toml", "worker.yaml", ".dev.vars",
                f".pymode/site/{SITE_STAMP}"):
        assert watched(rel), rel
    for rel in ("src/data.json", "lib/pyproject.toml", ".venv/x.py", "venv/x.py", "src/__pycache__/entry.py",
                "node_modules/a.py", ".pymode/state/kv.sqlite", ".pymode/site/pkg/mod.py", "README.md"):
        assert not watched(rel), rel

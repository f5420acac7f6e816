"""Cron triggers that call Python (pymode.scheduled): pymode's `on_scheduled(event, env[, ctx])` and Cloudflare's
`Default(WorkerEntrypoint).scheduled(self, controller, env, ctx)`, as the host delivers a firing."""

import datetime
import json

import pytest

from pymode import _handler
from test_handler import error_logs, project, serve  # noqa: F401  (the project fixture)

URL = "https://pymode.internal/__pymode/scheduled"
FIRED_AT = 1_765_101_600_000  # 2025-12-07T10:00:00Z


def fire(cron="*/5 * * * *", when=FIRED_AT):
    status, _, body = serve("POST", URL, body=json.dumps({"cron": cron, "scheduledTime": when}).encode())
    return status, json.loads(body)


def test_on_scheduled_gets_the_event_and_env(project, env):
    project({"src/entry.py": """
        def on_scheduled(event, env, ctx):
            env.MY_KV.put("last", f"{event.type} {event.cron} {event.scheduledTime} {event.scheduled_time.isoformat()}")

        def on_fetch(request, env):
            return env.MY_KV.get("last") or "never"
        """})
    assert fire() == (200, {"noRetry": False})
    assert serve("GET", "https://w.example/")[::2] == (
        200, b"scheduled */5 * * * * 1765101600000 2025-12-07T10:00:00+00:00")


def test_one_argument_and_async_handlers(project, env):
    project({"src/entry.py": """
        import asyncio
        seen = []

        async def on_scheduled(event):
            await asyncio.sleep(0)
            seen.append(event.cron)
            event.no_retry()
        """})
    assert fire("0 3 * * *") == (200, {"noRetry": True})
    import src.entry as entry

    assert entry.seen == ["0 3 * * *"]
    assert serve("GET", "https://w.example/")[0] == 404  # a cron handler only: no HTTP


def test_cloudflares_class_method_gets_controller_env_and_ctx(project, env):
    project({"src/entry.py": """
        from workers import WorkerEntrypoint, Response

        class Default(WorkerEntrypoint):
            async def scheduled(self, controller, env, ctx):
                async def later():
                    await env.MY_KV.put("late", "done")
                assert env is self.env
                await env.MY_KV.put("cron", controller.cron)
                ctx.waitUntil(later())
                controller.noRetry()

            async def fetch(self, request):
                return Response(await self.env.MY_KV.get("cron") or "none")
        """})
    assert fire("*/10 * * * *") == (200, {"noRetry": True})
    assert (env.MY_KV.get("cron"), env.MY_KV.get("late")) == ("*/10 * * * *", "done")
    assert serve("GET", "https://w.example/")[::2] == (200, b"*/10 * * * *")


def test_the_module_level_handler_style_of_cloudflare(project, env):
    project({"src/entry.py": """
        from workers import handler

        @handler
        async def on_scheduled(controller, env, ctx):
            await env.MY_KV.put("at", str(controller.scheduledTime))
        """})
    assert fire(when=FIRED_AT + 1) == (200, {"noRetry": False})
    assert env.MY_KV.get("at") == str(FIRED_AT + 1)


def test_a_failing_handler_fails_the_invocation_naming_only_its_type(project, host):
    project({"src/entry.py": """
        def on_scheduled(event, env):
            raise RuntimeError("secret detail")
        """})
    assert fire() == (500, {"error": "on_scheduled raised RuntimeError"})
    assert "the scheduled handler failed" in error_logs(host) and "secret detail" in error_logs(host)


def test_a_firing_without_a_handler_is_a_500_that_says_so(project, host):
    project({"src/entry.py": "def on_fetch(request, env):\n    return 'x'\n"})
    assert fire()[0] == 500
    assert "defines no scheduled handler" in error_logs(host)


def test_a_malformed_firing_is_a_500(project, host):
    project({"src/entry.py": "def on_scheduled(event, env):\n    pass\n"})
    status, _, _ = serve("POST", URL, body=b'{"cron": "* * * * *"}')
    assert status == 500
    assert "numeric scheduledTime" in error_logs(host)


@pytest.mark.parametrize("source, message", [
    ("on_scheduled = 3\n", "on_scheduled is a int, not a function"),
    ("def on_scheduled(a, b, c, d):\n    pass\n", "on_scheduled must take one to three arguments"),
])
def test_unusable_handlers_are_load_errors(project, source, message):
    with pytest.raises(_handler.LoadError, match=message):
        project({"src/entry.py": source})


def test_the_event_time_is_utc():
    from pymode.scheduled import ScheduledEvent

    event = ScheduledEvent("* * * * *", FIRED_AT)
    assert event.scheduled_time == datetime.datetime(2025, 12, 7, 10, 0, tzinfo=datetime.timezone.utc)

# Test app for C extensions as side modules (worker/test/extensions.test.ts,
# builder-image/tests/test_extensions.py): runs the posted Python code and answers JSON.
import time
import traceback

from pymode.workers import Response


def on_fetch(request, env):
    code = request.text()
    ns = {"env": env}
    t0 = time.perf_counter()
    try:
        exec(compile(code, "<request>", "exec"), ns)
    except BaseException as e:  # reported to the test, not raised
        return Response.json({"ok": False, "type": type(e).__name__, "error": str(e),
                              "traceback": traceback.format_exc()})
    return Response.json({"ok": True, "result": ns.get("result"), "ms": (time.perf_counter() - t0) * 1000})

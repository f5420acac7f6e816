"""The builder as a pod runs it: PID 1 of its container, stopped by SIGTERM at the Job's deadline."""
from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
from pathlib import Path

BUNDLER = Path(__file__).resolve().parent.parent / "bundler"

# A worker build whose step runs a long child process (as pip or the bundler would).
SLOW_BUILD = f"""
import sys
sys.path.insert(0, {str(BUNDLER)!r})
import pymode_build as b
def slow(args):
    b.run(["sleep", "60"], what="a slow step")
b.build_worker = slow
sys.exit(b.main(["worker", "--source", ".", "--entry", "src/entry.py", "--runtime-dir", ".", "--push", "r/x:t"]))
"""


def _children(pid: int) -> list[int]:
    out = subprocess.run(["pgrep", "-P", str(pid)], capture_output=True, text=True).stdout.split()
    return [int(p) for p in out]


def test_sigterm_stops_the_build_and_its_child_at_once(tmp_path):
    proc = subprocess.Popen([sys.executable, "-c", SLOW_BUILD], cwd=tmp_path, stderr=subprocess.PIPE, text=True)
    deadline = time.monotonic() + 10
    while not _children(proc.pid):
        assert time.monotonic() < deadline, "the slow step never started"
        time.sleep(0.05)
    child = _children(proc.pid)[0]
    started = time.monotonic()
    proc.send_signal(signal.SIGTERM)
    rc = proc.wait(timeout=10)
    elapsed = time.monotonic() - started
    assert rc == 128 + signal.SIGTERM
    assert elapsed < 3, f"took {elapsed:.1f} s to stop"
    assert "stopped by SIGTERM" in proc.stderr.read()
    # the child (sleep 60) was killed with it, not left running
    time.sleep(0.2)
    assert not Path(f"/proc/{child}").exists() or "zombie" in Path(f"/proc/{child}/status").read_text().lower()

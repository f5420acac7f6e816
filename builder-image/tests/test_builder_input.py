"""The builder's second check of spec values (defence in depth behind admission, testdata/README.md).

Every package admission refuses, the builder refuses too, before pip runs, with one line naming the value and the
rule and the exit code the operator treats as an input error; the values admission lets through but `packaging`
refuses are caught here; valid requirements pass; pip takes the requirements after `--`, in an empty directory,
from the operator's index only.
"""
from __future__ import annotations

import http.server
import io
import subprocess
import sys
import threading
import zipfile
from pathlib import Path

import pytest
import yaml

REPO = Path(__file__).resolve().parents[2]
BUNDLER = REPO / "builder-image" / "bundler"
sys.path.insert(0, str(BUNDLER))
import pymode_build as b  # noqa: E402


def _documents(path: Path) -> list[dict]:
    return [d for d in yaml.safe_load_all(path.read_text()) if d]


def _packages(path: Path) -> list[tuple[str, str, str]]:
    """(case, package, message) for each package of each case's PyModeWorker that is not the filler `six`."""
    out = []
    for doc in _documents(path):
        for package in doc["resource"]["spec"].get("packages", []):
            if package != "six":
                out.append((doc["case"], package, doc.get("message", "")))
    return out


# Admission's own limits (too long, too many, empty) are schema sizes, not requirement syntax.
ADMISSION_REFUSED = [c for c in _packages(REPO / "testdata/bad-input/worker-packages.yaml")
                     if c[0] not in ("packages-too-long", "packages-too-many", "packages-empty-string")]
BUILDER_ONLY = [(d["case"], d["value"], d["message"]) for d in _documents(REPO / "testdata/bad-input/builder-packages.yaml")]
VALID = _packages(REPO / "testdata/valid-input/valid.yaml")


def _build(tmp_path: Path, *args: str) -> subprocess.CompletedProcess:
    """The builder as the operator starts it, up to the point where it would pull the runtime."""
    (tmp_path / "src").mkdir(exist_ok=True)
    (tmp_path / "src" / "entry.py").write_text("def on_fetch(request, env): pass\n")
    return subprocess.run([sys.executable, str(BUNDLER / "pymode_build.py"), "worker", "--source", str(tmp_path),
                           "--entry=src/entry.py", "--runtime-dir", str(tmp_path / "no-runtime"),
                           "--push", "127.0.0.1:9/x:t", "--work", str(tmp_path / "work"), *args],
                          capture_output=True, text=True, timeout=60)


def test_the_corpora_have_cases():
    assert len(ADMISSION_REFUSED) >= 25 and len(BUILDER_ONLY) >= 8 and len(VALID) >= 10


@pytest.mark.parametrize("case,package,message", [pytest.param(*c, id=c[0]) for c in ADMISSION_REFUSED + BUILDER_ONLY])
def test_the_builder_refuses_bad_packages_naming_value_and_rule(case, package, message):
    with pytest.raises(b.InvalidInput) as refused:
        b.check_requirement(package)
    text = str(refused.value)
    assert repr(package) in text, case
    assert "\n" not in text, f"{case}: one line"
    if case.startswith("builder-"):
        assert message in text, case


@pytest.mark.parametrize("case,package,_message", [pytest.param(*c, id=c[0]) for c in VALID])
def test_the_builder_takes_valid_requirements(case, package, _message):
    assert b.check_requirement(package) == package


def test_an_option_as_package_value_is_data_and_exits_as_input_error(tmp_path):
    # `--package=VALUE` in one argv element, as BuilderCommand passes it: argparse takes the whole value even when it
    # starts with '-', and the builder refuses it before anything else (no runtime is there to pull).
    proc = _build(tmp_path, "--package=--index-url=http://evil.example/simple")
    assert proc.returncode == b.EXIT_INVALID_INPUT, proc.stderr
    last = proc.stderr.strip().splitlines()[-1]
    assert last == ("invalid input: package '--index-url=http://evil.example/simple': pip options are not allowed "
                    "(the package index is an operator setting, chart value builder.packageIndex)")


def test_an_invalid_compatibility_date_exits_as_input_error(tmp_path):
    proc = _build(tmp_path, "--package=six", "--compat-date=2026-02-30")
    assert proc.returncode == b.EXIT_INVALID_INPUT, proc.stderr
    assert "compatibility date '2026-02-30' is not a calendar date YYYY-MM-DD" in proc.stderr


@pytest.mark.parametrize("entry", ["/etc/passwd.py", "../outside.py", "src/../../x.py", "src/entry.txt", "a\\b.py"])
def test_the_builder_refuses_an_entry_outside_the_project(entry):
    with pytest.raises(b.InvalidInput, match="must be a relative path to a .py file without '..'"):
        b.check_entry(entry)


@pytest.mark.parametrize("recipe", ["../etc/passwd", "/abs", "Upper", "-rf", ""])
def test_the_builder_refuses_a_recipe_that_is_not_a_catalogue_name(recipe):
    with pytest.raises(b.InvalidInput, match="must be a catalogue name"):
        b.check_recipe_name(recipe)


def test_valid_input_goes_on_to_the_build(tmp_path):
    proc = _build(tmp_path, "--package=six", "--compat-date=2024-02-29")
    assert proc.returncode == 1, proc.stderr  # the next step fails: there is no runtime
    assert "runtime has no python.wasm" in proc.stderr


# ---- pip itself, against a package index on loopback ----

def _wheel(name: str, version: str) -> bytes:
    dist = f"{name}-{version}.dist-info"
    files = {f"{name}/__init__.py": "VALUE = 1\n",
             f"{dist}/METADATA": f"Metadata-Version: 2.1\nName: {name}\nVersion: {version}\n",
             f"{dist}/WHEEL": "Wheel-Version: 1.0\nGenerator: test\nRoot-Is-Purelib: true\nTag: py3-none-any\n"}
    files[f"{dist}/RECORD"] = "".join(f"{p},,\n" for p in files) + f"{dist}/RECORD,,\n"
    buf = io.BytesIO()
    with zipfile.ZipFile(buf, "w") as z:
        for path, text in files.items():
            z.writestr(path, text)
    return buf.getvalue()


@pytest.fixture
def index():
    """A PEP 503 simple index on loopback with one pure-Python wheel, behind basic auth (user `ci`, password
    `s3cr:t/`), recording the paths asked for."""
    wheel = _wheel("tinypkg", "1.0")
    seen: list[str] = []

    class Handler(http.server.BaseHTTPRequestHandler):
        def log_message(self, *args):
            pass

        def do_GET(self):
            import base64
            seen.append(self.path)
            if self.headers.get("Authorization") != "Basic " + base64.b64encode(b"ci:s3cr:t/").decode():
                self.send_response(401)
                self.send_header("WWW-Authenticate", 'Basic realm="index"')
                self.end_headers()
                return
            if self.path.rstrip("/") == "/simple/tinypkg":
                body = b'<a href="/files/tinypkg-1.0-py3-none-any.whl">tinypkg-1.0-py3-none-any.whl</a>'
            elif self.path == "/files/tinypkg-1.0-py3-none-any.whl":
                body = wheel
            else:
                self.send_response(404)
                self.end_headers()
                return
            self.send_response(200)
            self.send_header("Content-Type", "text/html" if self.path.startswith("/simple/") else "application/zip")
            self.send_header("Content-Length", str(len(body)))
            self.end_headers()
            self.wfile.write(body)

    server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    yield f"http://127.0.0.1:{server.server_port}/simple/", seen
    server.shutdown()


def test_packages_come_from_the_operators_index_with_its_credentials(tmp_path, monkeypatch, capfd, index):
    url, seen = index
    monkeypatch.setenv("PYMODE_PACKAGE_INDEX_URL", url)
    monkeypatch.setenv("PYMODE_PACKAGE_INDEX_USERNAME", "ci")
    monkeypatch.setenv("PYMODE_PACKAGE_INDEX_PASSWORD", "s3cr:t/")
    monkeypatch.setenv("PIP_NO_CACHE_DIR", "1")
    monkeypatch.chdir(tmp_path)
    # a file in the directory the operator started the builder in, named like a requirement: pip runs elsewhere
    (tmp_path / "tinypkg").mkdir()
    site = b.resolve_packages(["tinypkg==1.0"], tmp_path / "work")
    assert (site / "tinypkg" / "__init__.py").is_file()
    assert "/simple/tinypkg/" in seen
    assert "tinypkg-1.0-py3-none-any.whl --hash=sha256:" in (tmp_path / "work" / "pymode.lock").read_text()
    out, err = capfd.readouterr()
    assert "s3cr" not in out + err, "the index password never reaches the log"

"""The resolver builds packages that publish no pure-Python wheel but have a pure-Python mode (MarkupSafe, PyYAML
without LibYAML) from their sdists in that mode, unless one of the worker's extensions ships them; the log, the lock
and the build's result say which way each distribution arrived.

The index is local: sdists whose PEP 517 backend behaves like the real packages' builds (MarkupSafe compiles its
speedups when a C compiler runs and falls back to pure Python otherwise; PyYAML leaves LibYAML out when
PYYAML_FORCE_LIBYAML=0), next to platform wheels as PyPI has them."""
from __future__ import annotations

import http.server
import io
import json
import sys
import tarfile
import threading
import zipfile
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parents[2]
sys.path.insert(0, str(REPO / "builder-image" / "bundler"))
import pymode_build as b  # noqa: E402

LINUX = "cp313-cp313-manylinux_2_17_x86_64"

# A PEP 517 backend without build requirements. MODE decides what a build makes:
#   "markupsafe": the C speedups when $CC runs (default: a program that exists), else the pure-Python package;
#   "pyyaml": the LibYAML bindings unless PYYAML_FORCE_LIBYAML=0;  "always-c": always the C extension.
BACKEND = r'''
import base64, hashlib, io, os, shutil, zipfile

NAME, VERSION, PACKAGE, MODE = {name!r}, {version!r}, {package!r}, {mode!r}


def _with_c():
    if MODE == "markupsafe":
        return shutil.which(os.environ.get("CC", "python3")) is not None
    if MODE == "pyyaml":
        return os.environ.get("PYYAML_FORCE_LIBYAML") != "0"
    return True


def build_wheel(wheel_directory, config_settings=None, metadata_directory=None):
    c = _with_c()
    tag = "cp313-cp313-linux_x86_64" if c else "py3-none-any"
    dist = f"{{NAME}}-{{VERSION}}.dist-info"
    files = {{f"{{PACKAGE}}/__init__.py": f"VERSION = {{VERSION!r}}\nSPEEDUPS = {{c!r}}\n",
             f"{{dist}}/METADATA": f"Metadata-Version: 2.1\nName: {{NAME}}\nVersion: {{VERSION}}\n",
             f"{{dist}}/WHEEL": f"Wheel-Version: 1.0\nGenerator: fake\nRoot-Is-Purelib: {{str(not c).lower()}}\nTag: {{tag}}\n"}}
    if c:
        files[f"{{PACKAGE}}/_speedups.cpython-313-x86_64-linux-gnu.so"] = "\x7fELF"
    files[f"{{dist}}/RECORD"] = "".join(f"{{p}},,\n" for p in files) + f"{{dist}}/RECORD,,\n"
    name = f"{{NAME}}-{{VERSION}}-{{tag}}.whl"
    with zipfile.ZipFile(os.path.join(wheel_directory, name), "w") as z:
        for path, text in files.items():
            z.writestr(path, text)
    return name
'''


def _sdist(name: str, version: str, package: str, mode: str) -> tuple[str, bytes]:
    root = f"{name}-{version}"
    members = {f"{root}/pyproject.toml": '[build-system]\nrequires = []\nbuild-backend = "backend"\nbackend-path = ["."]\n',
               f"{root}/backend.py": BACKEND.format(name=name, version=version, package=package, mode=mode),
               f"{root}/PKG-INFO": f"Metadata-Version: 2.1\nName: {name}\nVersion: {version}\n"}
    buf = io.BytesIO()
    with tarfile.open(fileobj=buf, mode="w:gz") as tar:
        for path, text in members.items():
            data = text.encode()
            info = tarfile.TarInfo(path)
            info.size = len(data)
            tar.addfile(info, io.BytesIO(data))
    return f"{root}.tar.gz", buf.getvalue()


def _wheel(name: str, version: str, *, requires: tuple[str, ...] = (), tag: str = "py3-none-any") -> tuple[str, bytes]:
    dist = f"{name}-{version}.dist-info"
    meta = f"Metadata-Version: 2.1\nName: {name}\nVersion: {version}\n" + "".join(f"Requires-Dist: {r}\n" for r in requires)
    files = {f"{name}/__init__.py": f"VERSION = {version!r}\n", f"{dist}/METADATA": meta,
             f"{dist}/WHEEL": f"Wheel-Version: 1.0\nGenerator: test\nRoot-Is-Purelib: {str(tag.endswith('none-any')).lower()}\nTag: {tag}\n"}
    files[f"{dist}/RECORD"] = "".join(f"{p},,\n" for p in files) + f"{dist}/RECORD,,\n"
    buf = io.BytesIO()
    with zipfile.ZipFile(buf, "w") as z:
        for path, text in files.items():
            z.writestr(path, text)
    return f"{name}-{version}-{tag}.whl", buf.getvalue()


@pytest.fixture
def index(monkeypatch):
    """webtmpl 1.0 (pure) needs markupsafe and pyyaml, which the index has as platform wheels and sdists;
    speedy 1.0 is an sdist that builds its C extension whatever the environment says."""
    files = dict([
        _wheel("webtmpl", "1.0", requires=("markupsafe>=2", "pyyaml>=6")),
        _wheel("markupsafe", "3.0.2", tag=LINUX), _sdist("markupsafe", "3.0.2", "markupsafe", "markupsafe"),
        _wheel("pyyaml", "6.0.2", tag=LINUX), _sdist("pyyaml", "6.0.2", "yaml", "pyyaml"),
        _wheel("speedy", "1.0", tag=LINUX), _sdist("speedy", "1.0", "speedy", "always-c"),
    ])

    class Handler(http.server.BaseHTTPRequestHandler):
        def log_message(self, *args):
            pass

        def do_GET(self):
            if self.path.startswith("/simple/"):
                project = self.path.split("/")[2]
                body = "".join(f'<a href="/files/{f}">{f}</a>\n' for f in sorted(files) if f.split("-")[0] == project)
                body = body.encode() if body else None
            else:
                body = files.get(self.path.removeprefix("/files/"))
            if body is None:
                self.send_response(404)
                self.end_headers()
                return
            self.send_response(200)
            self.send_header("Content-Type", "text/html" if self.path.startswith("/simple/") else "application/octet-stream")
            self.send_header("Content-Length", str(len(body)))
            self.end_headers()
            self.wfile.write(body)

    server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    monkeypatch.setenv("PYMODE_PACKAGE_INDEX_URL", f"http://127.0.0.1:{server.server_port}/simple/")
    monkeypatch.setenv("PIP_NO_CACHE_DIR", "1")
    monkeypatch.delenv("PIP_FIND_LINKS", raising=False)
    yield
    server.shutdown()


def _pure(site: Path, package: str) -> bool:
    return not list((site / package).glob("*.so")) and f"SPEEDUPS = False" in (site / package / "__init__.py").read_text()


def test_packages_with_a_pure_python_mode_are_built_from_their_sdists_in_it(tmp_path, index, capfd):
    work = tmp_path / "work"
    site = b.resolve_packages(["webtmpl"], work)
    assert _pure(site, "markupsafe") and _pure(site, "yaml") and (site / "webtmpl").is_dir()
    report = json.loads((work / "packages.json").read_text())
    assert report["webtmpl"] == {"version": "1.0", "from": "wheel"}
    assert report["markupsafe"]["from"] == report["pyyaml"]["from"] == "sdist, pure-Python mode"
    assert (report["markupsafe"]["version"], report["pyyaml"]["version"]) == ("3.0.2", "6.0.2")
    assert "LibYAML" in report["pyyaml"]["without"]
    lock = (work / "pymode.lock").read_text()
    assert "webtmpl-1.0-py3-none-any.whl --hash=sha256:" in lock
    assert "# markupsafe==3.0.2 built in pure-Python mode from markupsafe-3.0.2.tar.gz --hash=sha256:" in lock
    log = capfd.readouterr().err
    assert ("markupsafe 3.0.2: no pure-Python wheel; built from its sdist markupsafe-3.0.2.tar.gz in pure-Python mode, "
            "without markupsafe._speedups") in log
    assert "a PyModeExtension with recipe: markupsafe in spec.extensions ships the C extension instead" in log
    assert "resolved 1 wheels, 2 built in pure-Python mode from sdists (markupsafe, pyyaml)" in log


def test_an_extension_that_ships_the_package_wins_over_its_pure_mode(tmp_path, index):
    work = tmp_path / "work"
    site = b.resolve_packages(["webtmpl"], work, provided={"markupsafe": "3.0.2"})
    assert not (site / "markupsafe").exists() and _pure(site, "yaml")
    report = json.loads((work / "packages.json").read_text())
    assert report["markupsafe"] == {"version": "3.0.2", "from": "extension"}
    assert report["pyyaml"]["from"] == "sdist, pure-Python mode"
    assert not (work / "sdists" / "markupsafe").exists()  # never downloaded


def test_a_package_without_a_pure_mode_is_still_named_with_what_builds_it(tmp_path, index):
    with pytest.raises(b.InvalidInput, match=r"speedy 1.0 publishes no pure-Python wheel \(no catalogue recipe"):
        b.resolve_packages(["speedy"], tmp_path / "work")


def test_an_sdist_that_builds_its_extension_anyway_fails_the_build_naming_it(tmp_path, index, monkeypatch):
    monkeypatch.setitem(b.PURE_FALLBACKS, "speedy", {"env": {}, "without": "speedy._speedups"})
    with pytest.raises(b.BuildError, match=r"speedy 1.0: its sdist built speedy-1.0-cp313-cp313-linux_x86_64.whl with "
                                           r"speedy/_speedups.cpython-313-x86_64-linux-gnu.so even without a C compiler"):
        b.resolve_packages(["speedy"], tmp_path / "work")


def test_the_fallback_table_holds_constants_only():
    for name, spec in b.PURE_FALLBACKS.items():
        assert name == b.canonical_name(name) and set(spec) == {"env", "without"}
        assert all(isinstance(k, str) and isinstance(v, str) for k, v in spec["env"].items())


def test_the_build_result_says_how_each_package_arrived(tmp_path, index, monkeypatch, capfd):
    """`pymode_build.py worker` end to end with the node steps (syntax check, bundler) and the push stood in for."""
    repo = tmp_path / "repo"
    (repo / "worker" / "node_modules" / "esbuild").mkdir(parents=True)
    for part in ("recipes", "pylib"):
        (repo / part).symlink_to(REPO / part)
    monkeypatch.setattr(b, "REPO", repo)
    monkeypatch.setattr(b, "check_python", lambda source, runtime, work: None)
    real_run = b.run

    def run(argv, **kwargs):
        if argv[0] != "node":
            return real_run(argv, **kwargs)
        if "--choose-driver" in argv:
            return json.dumps({"driver": "jspi", "wasm": "python.wasm", "reason": "test"}) + "\n"
        out = Path(argv[argv.index("--out") + 1])
        out.mkdir(parents=True, exist_ok=True)
        (out / "worker.js").write_text("// bundle")
        return ""

    monkeypatch.setattr(b, "run", run)
    monkeypatch.setattr(b, "push", lambda directory, files, ref, kind, annotations: {"ref": "r/x@sha256:0", "files": files})
    source, runtime = tmp_path / "src-root", tmp_path / "runtime"
    (source / "src").mkdir(parents=True)
    (source / "src" / "entry.py").write_text("def on_fetch(request, env):\n    return 'hi'\n")
    runtime.mkdir()
    for name in ("python.wasm", "python313.zip"):
        (runtime / name).write_bytes(b"")
    assert b.main(["worker", "--source", str(source), "--entry", "src/entry.py", "--package=webtmpl",
                   "--runtime-dir", str(runtime), "--push", "r/x:t", "--work", str(tmp_path / "work")]) == 0
    result = json.loads(capfd.readouterr().out.strip().splitlines()[-1])
    assert result["files"] == ["pymode.lock", "worker.js"]
    assert {name: p["from"] for name, p in result["packages"].items()} == {
        "markupsafe": "sdist, pure-Python mode", "pyyaml": "sdist, pure-Python mode", "webtmpl": "wheel"}

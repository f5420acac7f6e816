"""The builder's second check of spec values (defence in depth behind admission, testdata/README.md).

Every package admission refuses, the builder refuses too, before pip runs, with one line naming the value and the
rule and the exit code the operator treats as an input error; the values admission lets through but `packaging`
refuses are caught here; valid requirements pass; pip takes the requirements after `--`, in an empty directory,
from the operator's index only.
"""
from __future__ import annotations

import contextlib
import http.server
import io
import json
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

def _dist(name: str, version: str, *, requires: tuple[str, ...] = (), tag: str = "py3-none-any") -> tuple[str, bytes]:
    """(file name, wheel bytes) of a wheel with the given dependencies and tag."""
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


@contextlib.contextmanager
def _index_server(files: dict[str, bytes], password: str | None = None):
    """A PEP 503 simple index on loopback serving `files` (wheel name -> bytes), optionally behind basic auth
    (user `ci`); yields its URL and the paths asked for."""
    import base64

    seen: list[str] = []

    class Handler(http.server.BaseHTTPRequestHandler):
        def log_message(self, *args):
            pass

        def do_GET(self):
            seen.append(self.path)
            if password is not None and self.headers.get("Authorization") != \
                    "Basic " + base64.b64encode(f"ci:{password}".encode()).decode():
                self.send_response(401)
                self.send_header("WWW-Authenticate", 'Basic realm="index"')
                self.end_headers()
                return
            if self.path.startswith("/simple/"):
                project = self.path.split("/")[2]
                listing = "".join(f'<a href="/files/{f}">{f}</a>\n' for f in sorted(files) if f.split("-")[0] == project)
                body = listing.encode() if listing else None
            else:
                body = files.get(self.path.removeprefix("/files/"))
            if body is None:
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
    try:
        yield f"http://127.0.0.1:{server.server_port}/simple/", seen
    finally:
        server.shutdown()


@pytest.fixture
def index():
    """One pure-Python wheel behind basic auth (user `ci`, password `s3cr:t/`), recording the paths asked for."""
    with _index_server(dict([_dist("tinypkg", "1.0")]), password="s3cr:t/") as served:
        yield served


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


# ---- the resolver: newest releases, or a clear refusal naming the dependency without a pure wheel ----

@pytest.fixture
def catalogue_index(monkeypatch):
    """An index where webfw 2.0 needs speedy (platform wheels only) and 1.0 needs nothing, and textkit needs regex
    (platform wheels only; the catalogue has a regex recipe)."""
    linux = "cp313-cp313-manylinux_2_17_x86_64"
    files = dict([_dist("webfw", "1.0"), _dist("webfw", "2.0", requires=("speedy>=1",)), _dist("speedy", "1.0", tag=linux),
                  _dist("textkit", "2.0", requires=("regex>=2024",)), _dist("regex", "2024.1.1", tag=linux)])
    with _index_server(files) as (url, _):
        monkeypatch.setenv("PYMODE_PACKAGE_INDEX_URL", url)
        monkeypatch.setenv("PIP_NO_CACHE_DIR", "1")
        yield


def _installed_version(site: Path, name: str) -> str:
    (dist,) = site.glob(f"{name}-*.dist-info")
    return dist.name.removeprefix(f"{name}-").removesuffix(".dist-info")


def test_a_dependency_without_a_pure_wheel_is_named_instead_of_an_older_release_installed(tmp_path, catalogue_index):
    with pytest.raises(b.InvalidInput) as info:
        b.resolve_packages(["webfw"], tmp_path / "work")
    message = str(info.value)
    assert "would install older releases (webfw 1.0 instead of 2.0)" in message
    assert "speedy 1.0 publishes no pure-Python wheel (no catalogue recipe builds it" in message
    assert "pin the older releases to accept them" in message
    # pinned, the older release is what the user asked for
    site = b.resolve_packages(["webfw==1.0"], tmp_path / "pinned")
    assert _installed_version(site, "webfw") == "1.0"


def test_a_dependency_an_extension_ships_satisfies_the_resolution_and_is_not_installed_again(tmp_path, catalogue_index):
    site = b.resolve_packages(["webfw"], tmp_path / "work", provided={"speedy": "1.0"})
    assert _installed_version(site, "webfw") == "2.0"
    assert not (site / "speedy").exists() and not list(site.glob("speedy-*"))
    lock = (tmp_path / "work" / "pymode.lock").read_text()
    assert "webfw-2.0-py3-none-any.whl --hash=sha256:" in lock and "# speedy==1.0 provided by an extension" in lock


def test_a_package_that_cannot_resolve_names_the_catalogue_recipe_that_would_provide_its_dependency(tmp_path,
                                                                                                     catalogue_index):
    with pytest.raises(b.InvalidInput, match=r"regex 2024.1.1 publishes no pure-Python wheel \(the catalogue recipe "
                                             r"`regex` builds it: add a PyModeExtension with recipe: regex"):
        b.resolve_packages(["textkit"], tmp_path / "work")


# ---- catalogue recipes the operator attaches (docs/extensions.md "Catalogue recipes attached automatically") ----

REGEX_RECIPE_VERSION = json.loads((REPO / "recipes" / "regex.json").read_text())["version"]


def test_a_dependency_a_catalogue_recipe_builds_is_requested_machine_readably(tmp_path, catalogue_index):
    with pytest.raises(b.NeedsRecipes) as info:
        b.resolve_packages(["textkit"], tmp_path / "work")
    assert info.value.recipes == [{"recipe": "regex", "version": REGEX_RECIPE_VERSION, "distribution": "regex",
                                   "wanted": "2024.1.1"}]
    line = info.value.request()
    assert "\n" not in line and line.startswith(b.NEEDS_RECIPES_PREFIX)
    request = json.loads(line.removeprefix(b.NEEDS_RECIPES_PREFIX))
    assert request["recipes"] == info.value.recipes
    # the person's message is the refusal an operator that does not attach recipes shows
    assert request["message"].startswith("invalid input: packages textkit cannot run in python.wasm: regex 2024.1.1 "
                                         "publishes no pure-Python wheel (the catalogue recipe `regex` builds it")


def test_a_dependency_no_recipe_builds_stays_an_input_error_even_beside_one_a_recipe_builds(tmp_path, catalogue_index):
    for packages in (["webfw"], ["webfw", "textkit"]):
        with pytest.raises(b.InvalidInput) as info:
            b.resolve_packages(packages, tmp_path / "work")
        assert not isinstance(info.value, b.NeedsRecipes), packages
        assert "speedy 1.0 publishes no pure-Python wheel (no catalogue recipe builds it" in str(info.value)


def test_an_attached_catalogue_recipe_satisfies_the_resolution_and_says_so(tmp_path, catalogue_index, capfd):
    work = tmp_path / "work"
    site = b.resolve_packages(["textkit"], work, provided={"regex": "2024.1.1"},
                              catalogue={"regex": {"recipe": "regex", "version": "2024.1.1"}})
    assert _installed_version(site, "textkit") == "2.0" and not list(site.glob("regex*"))
    report = json.loads((work / "packages.json").read_text())
    assert report["regex"] == {"version": "2024.1.1", "from": "catalogue recipe", "recipe": "regex"}
    assert report["textkit"]["from"] == "wheel"
    assert "# regex==2024.1.1 provided by catalogue recipe regex" in (work / "pymode.lock").read_text()
    err = capfd.readouterr().err
    assert "attached catalogue recipe regex 2024.1.1 for regex==2024.1.1" in err
    assert "1 by catalogue recipes the operator attached" in err


def test_catalogue_attachments_name_the_recipe_of_every_distribution_its_artifact_ships(tmp_path):
    ext = tmp_path / "ext"
    ext.mkdir()
    (ext / b.EXTENSION_MANIFEST).write_text(json.dumps({"name": "yarl", "version": "1.25.1", "recipes": [
        {"name": "multidict", "version": "7.2.1"}, {"name": "yarl", "version": "1.25.1"}]}))
    assert b.catalogue_attachments([ext]) == {"multidict": {"recipe": "yarl", "version": "1.25.1"},
                                              "yarl": {"recipe": "yarl", "version": "1.25.1"}}


def test_the_builder_exits_with_the_request_as_its_last_line(monkeypatch, capfd):
    def needs(_args):
        raise b.NeedsRecipes("packages textkit cannot run in python.wasm: ...",
                             [{"recipe": "regex", "version": "1", "distribution": "regex", "wanted": "2"}])

    monkeypatch.setattr(b, "build_worker", needs)
    code = b.main(["worker", "--source", "/nonexistent", "--entry", "src/entry.py", "--runtime-dir", "/nonexistent",
                   "--push", "localhost/x:y"])
    assert code == b.EXIT_NEEDS_RECIPES == 4
    lines = capfd.readouterr().err.strip().splitlines()
    assert lines[-2] == "invalid input: packages textkit cannot run in python.wasm: ..."
    assert json.loads(lines[-1].removeprefix(b.NEEDS_RECIPES_PREFIX))["recipes"][0]["recipe"] == "regex"


def test_extensions_name_the_distributions_they_ship(tmp_path):
    ext = tmp_path / "ext"
    ext.mkdir()
    (ext / b.EXTENSION_MANIFEST).write_text(json.dumps({"recipes": [{"name": "MarkupSafe", "version": "3.0.2"},
                                                                     {"name": "multi_dict", "version": "6.1.0"}]}))
    assert b.provided_by_extensions([ext]) == {"markupsafe": "3.0.2", "multi-dict": "6.1.0"}


def test_extensions_name_the_other_distributions_a_recipe_provides(tmp_path):
    # pydantic-core's artifact ships typing_extensions too: pip must see it installed, not bring a second copy
    ext = tmp_path / "ext"
    ext.mkdir()
    (ext / b.EXTENSION_MANIFEST).write_text(json.dumps({"recipes": [
        {"name": "pydantic-core", "version": "2.41.5", "provides": {"typing_extensions": "4.16.0"}}]}))
    assert b.provided_by_extensions([ext]) == {"pydantic-core": "2.41.5", "typing-extensions": "4.16.0"}


def test_the_builder_image_carries_every_package_pylib_ships_to_the_edge():
    # bundle.mjs ships each top-level pylib package with an __init__.py; a builder Job only has what the image copied
    dockerfile = (REPO / "builder-image" / "Dockerfile").read_text()
    packages = sorted(p.name for p in (REPO / "pylib").iterdir() if (p / "__init__.py").is_file())
    assert {"pymode", "workers", "js"} <= set(packages)
    assert [p for p in packages if f"COPY pylib/{p} /opt/pymode/pylib/{p}" not in dockerfile] == []


def test_a_snapshot_site_carries_pylib_without_its_native_only_directories(tmp_path):
    # the same list worker/scripts/bundle.mjs keeps out of every bundle (worker/test/bundle-pylib.test.ts)
    native_only = json.loads(b.PYLIB_NATIVE_ONLY_LIST.read_text())
    assert {"pymode/_native", "pymode/cli", "pymode/dev"} <= set(native_only)
    assert [d for d in native_only if not (REPO / "pylib" / d).is_dir()] == []
    b.copy_pylib_edge_packages(REPO / "pylib", tmp_path)
    assert (tmp_path / "pymode" / "_handler.py").is_file() and (tmp_path / "workers" / "__init__.py").is_file()
    assert [d for d in native_only if (tmp_path / d).exists()] == []


def test_every_file_the_dockerfiles_copy_is_in_their_build_context():
    # .dockerignore excludes everything (`*`) and lets through, with `!path`, only what the Dockerfiles COPY: a COPY
    # of a path it does not let through fails only when the image is built (make demo, the cluster tier)
    ignore = (REPO / ".dockerignore").read_text().splitlines()
    assert ignore[[line.strip() for line in ignore].index("*")] == "*"
    allowed = [line[1:].strip().rstrip("/") for line in ignore if line.startswith("!")]
    sources = []
    for dockerfile in (REPO / "builder-image" / "Dockerfile", REPO / "operator" / "src" / "main" / "docker" / "Dockerfile"):
        for line in dockerfile.read_text().splitlines():
            words = line.split()
            if words[:1] == ["COPY"] and not any(w.startswith("--from") for w in words):
                sources += [w.rstrip("/") for w in words[1:-1] if not w.startswith("--")]
    assert "hack/provision-rust.sh" in sources
    assert [s for s in sources if not any(s == a or s.startswith(a + "/") or a.startswith(s + "/") for a in allowed)] == []

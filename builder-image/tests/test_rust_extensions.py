"""Rust extensions (issue #17): `rust` recipes built by builder-image/extensions/build_rust_extension.py
(Debian trixie's rustc for wasm32-wasip1, std rebuilt position-independent, zig wasm-ld -shared) and
imported in python.wasm through dlopen like the C side modules (worker/test/extension-run.mjs, node).

The builds are cached (~/.cache/pymode/extensions), so only the first run pays for cargo: testext-rust about
1.5 min, rpds-py about 2 min, pydantic-core (fat LTO) much longer on 2 shared cores."""
from __future__ import annotations

import json
import shutil
import subprocess
import sys
import tarfile
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent / "extensions"))

import pytest

from conftest import wasminfo

HERE = Path(__file__).resolve().parent
REPO = HERE.parent.parent
BUILDER = REPO / "builder-image" / "extensions" / "build_rust_extension.py"
TESTEXT = REPO / "builder-image" / "extensions" / "testext-rust" / "testext-rust.json"
RUN = REPO / "worker" / "test" / "extension-run.mjs"
MINIPYTEST = HERE / "fixtures" / "minipytest"
RUST_RECIPES = sorted(p.stem for p in (REPO / "recipes").glob("*.json")
                      if p.name != "schema.json" and "rust" in json.loads(p.read_text()))


def build(recipe: Path, out: Path, runtime: Path, *extra: str) -> subprocess.CompletedProcess:
    return subprocess.run([sys.executable, str(BUILDER), str(recipe), "--runtime-dir", str(runtime), "--out", str(out), *extra],
                          capture_output=True, text=True, timeout=3 * 3600)


def run_python(sites: list[Path], codes: list[str], runtime: Path, node: str = "node") -> dict:
    cmd = [node, "--no-warnings", "--stack-size=4000", str(RUN), "--runtime", str(runtime)]
    for s in sites:
        cmd += ["--site", str(s)]
    p = subprocess.run(cmd, input=json.dumps(codes), capture_output=True, text=True, timeout=600)
    assert p.returncode == 0, p.stderr[-4000:]
    return json.loads(p.stdout)


@pytest.fixture(scope="session")
def node_host_ready():
    if not (REPO / "worker" / "node_modules" / "esbuild").is_dir():
        pytest.fail("worker/node_modules is missing: run `npm ci` in worker/ (worker/test.sh does)")


@pytest.fixture(scope="session")
def rust_builds(runtime, tmp_path_factory):
    root = tmp_path_factory.mktemp("rust")
    done: dict[str, Path] = {}

    def get(recipe: Path) -> Path:
        if recipe.stem not in done:
            p = build(recipe, root / recipe.stem, runtime)
            assert p.returncode == 0, p.stderr[-6000:]
            done[recipe.stem] = root / recipe.stem
        return done[recipe.stem]
    return get


def side_module_imports(path: Path) -> list[dict]:
    return wasminfo.load(str(path)).imports


# ---- the in-tree PyO3 crate ------------------------------------------------------------------------

def test_testext_rust_is_a_side_module_importing_only_from_python_wasm(runtime, rust_builds):
    out = rust_builds(TESTEXT)
    m = json.loads((out / "manifest.json").read_text())
    spec = m["modules"]["pymode_testext_rust._native"]
    assert spec["init"] == "PyInit__native" and spec["asyncify"], spec
    plain = out / "site" / spec["file"]
    asyncified = out / "site" / spec["asyncify"]["file"]
    for f in (plain, asyncified):
        data = f.read_bytes()
        assert b"dylink.0" in data[:64], f"{f} is not a side module (no dylink.0 first)"
        assert b"pymode.abi" in data
        modules = {i["module"] for i in side_module_imports(f)}
        # std's WASI calls are bound inside the module (pymode_rust_shim.c): nothing but env/GOT imports
        assert modules <= {"env", "GOT.mem", "GOT.func"}, modules
        exports = {e["name"] for e in wasminfo.load(str(f)).exports}
        assert "PyInit__native" in exports
        # --no-export-dynamic: not the whole of std and pyo3 (thousands of symbols), only the init and
        # what the module's own GOT entries need
        assert len(exports) < 100, len(exports)
    names = {i["name"] for i in side_module_imports(asyncified)}
    assert {"__asyncify_state", "__asyncify_data"} <= names
    rust = m["toolchain"]["rust"]
    assert rust["rustc"].startswith("rustc 1.85.1") and rust["target"] == "wasm32-wasip1"
    assert rust["build_std"] == ["std", "panic_abort"] and "relocation-model=pic" in rust["rustflags"]
    assert any(c.startswith("pyo3-0.23.5") for c in rust["vendored_crates"])
    assert sorted(rust["wasi_shimmed"]) == ["clock_time_get", "fd_write", "random_get"]
    for f in (out / "site").rglob("*"):  # no build-machine path in what ships
        if f.is_file():
            data = f.read_bytes()
            assert b"pymode-ext-" not in data and b"/.cache/pymode" not in data and b"/root/" not in data, f


def test_testext_rust_runs_in_python_wasm(node_host_ready, runtime, rust_builds):
    out = rust_builds(TESTEXT)
    recipe = json.loads(TESTEXT.read_text())
    r = run_python([out / "site"], [
        recipe["test"] + "\nresult = 'passed'",
        # std's eprintln! (WASI fd_write through the shim) reaches the host's stderr
        "import pymode_testext_rust as t\nt.say('hello from rust')\nresult = t.lookup({'k': [1, 2]}, 'k')",
        "import pymode_testext_rust as t\ntry:\n    t.lookup({}, 'missing')\nexcept KeyError as e:\n    result = repr(e)",
        "import pymode_testext_rust as t\nresult = len(t.big_string(1 << 20))",  # 2 MiB through python.wasm's malloc
        "import pymode_testext_rust as t\nc = t.Counter()\nc.value = 41\nc.incr()\nresult = [c.value, type(c).__module__]",
    ], runtime)
    res = r["results"]
    assert all(x.get("ok") for x in res), res
    assert [x["result"] for x in res] == ["passed", [1, 2], "KeyError('missing')", 2 << 20, [42, "pymode_testext_rust._native"]]
    assert any("rust says: hello from rust" in line for line in r["logs"]), r["logs"]
    assert [l["path"] for l in r["linked"]] == ["/lib/site/pymode_testext_rust/_native.cpython-313-wasm32-wasi.so"]


def test_a_rust_panic_traps_the_instance(node_host_ready, runtime, rust_builds):
    """panic=abort (no unwinding on wasm32-wasip1 here): PyO3 cannot turn the panic into PanicException; the
    module executes `unreachable`, and the host discards the instance (TrapError)."""
    out = rust_builds(TESTEXT)
    cmd = ["node", "--no-warnings", "--stack-size=4000", str(RUN), "--runtime", str(runtime), "--site", str(out / "site")]
    p = subprocess.run(cmd, input=json.dumps(["import pymode_testext_rust as t\nt.boom('x')\nresult = 1"]),
                       capture_output=True, text=True, timeout=300)
    assert p.returncode != 0
    assert "TrapError: wasm trap: unreachable" in p.stderr, p.stderr[-3000:]


# ---- recipes/ --------------------------------------------------------------------------------------

@pytest.mark.parametrize("name", RUST_RECIPES)
def test_rust_recipe_builds_and_its_test_passes_in_python_wasm(node_host_ready, runtime, rust_builds, name):
    recipe = json.loads((REPO / "recipes" / f"{name}.json").read_text())
    out = rust_builds(REPO / "recipes" / f"{name}.json")
    m = json.loads((out / "manifest.json").read_text())
    for mod, spec in m["modules"].items():
        f = out / "site" / spec["file"]
        assert f.is_file(), mod
        assert {i["module"] for i in side_module_imports(f)} <= {"env", "GOT.mem", "GOT.func"}
    assert recipe.get("test"), f"recipes/{name}.json has no test"
    r = run_python([out / "site"], [recipe["test"] + "\nresult = 'passed'"], runtime)
    res = r["results"][0]
    assert res.get("ok") and res["result"] == "passed", res
    sizes = ", ".join(f"{mod} {s['size']:,} B (Asyncify {s['asyncify']['size']:,} B)" for mod, s in m["modules"].items())
    print(f"[rust-extensions] {name} {m['version']}: {sizes}; built in {m['build_seconds']} s; test {res['ms']:.0f} ms")


def upstream_tests(sdist: Path, dest: Path, package: str) -> list[str]:
    """The sdist's tests/*.py as the package `package` under `dest` (beside the minimal pytest)."""
    shutil.copytree(MINIPYTEST, dest, dirs_exist_ok=True)
    (dest / package).mkdir(parents=True, exist_ok=True)
    names = []
    with tarfile.open(sdist) as t:
        for mem in t.getmembers():
            parts = Path(mem.name).parts
            if len(parts) == 3 and parts[1] == "tests" and parts[2].endswith(".py") and mem.isfile():
                (dest / package / parts[2]).write_bytes(t.extractfile(mem).read())
                if parts[2].startswith("test_"):
                    names.append(f"{package}.{parts[2][:-3]}")
    (dest / package / "__init__.py").touch()
    return sorted(names)


@pytest.mark.skipif("rpds-py" not in RUST_RECIPES, reason="no rpds-py recipe")
def test_rpds_py_upstream_tests_pass_in_python_wasm(node_host_ready, runtime, rust_builds, tmp_path):
    recipe = json.loads((REPO / "recipes" / "rpds-py.json").read_text())
    out = rust_builds(REPO / "recipes" / "rpds-py.json")
    sdist = Path(__import__("build_extension").CACHE) / "downloads" / recipe["source"]["filename"]
    mods = upstream_tests(sdist, tmp_path / "site", "rpds_upstream_tests")
    assert len(mods) == 5, mods
    code = f"import pymode_minitest\nr = pymode_minitest.run({mods!r})\nresult = [r['passed'], r['skipped'], r['failed']]"
    res = run_python([out / "site", tmp_path / "site"], [code], runtime)["results"][0]
    assert res.get("ok"), res
    passed, skipped, failed = res["result"]
    assert failed == [] and passed >= 130, res["result"]
    print(f"[rust-extensions] rpds-py upstream tests in python.wasm: {passed} passed, {skipped} skipped")


# ---- refusals ------------------------------------------------------------------------------------

def write(tmp_path: Path, recipe: dict) -> Path:
    p = tmp_path / "r.json"
    p.write_text(json.dumps(recipe))
    return p


BASE = {"name": "x", "version": "1", "source": {"path": "."}, "rust": {}, "modules": {"x._x": {"init": "PyInit__x"}}}


@pytest.mark.parametrize("change, message", [
    ({"modules": {"x._x": {"init": "PyInit__x", "sources": ["a.c"]}}}, "modules.x._x.sources: cargo builds this module"),
    ({"cflags": ["-O2"]}, "cflags: not used by a rust recipe"),
    ({"meson": {}}, "meson: not used by a rust recipe"),
    ({"modules": {"x._x": {"init": "PyInit_x"}}}, "CPython looks for PyInit__x"),
    ({"modules": {"x._a": {"init": "PyInit__a"}, "x._b": {"init": "PyInit__b"}}}, "a rust recipe builds one extension module"),
    ({"rust": {"feature": ["x"]}}, "rust.feature: unknown field"),
    ({"rust": {"manifest": "/abs/Cargo.toml"}}, "rust.manifest: '/abs/Cargo.toml' does not match"),
    ({"rust": {"lockfile": "nope.lock"}}, "rust.lockfile: nope.lock not found"),
    ({"rust": {"env": {"lower": "x"}}}, "rust.env.lower: unknown field"),
])
def test_rust_recipe_refusals(runtime, tmp_path, change, message):
    p = build(write(tmp_path, {**BASE, **change}), tmp_path / "out", runtime)
    assert p.returncode == 2, p.stderr
    assert message in p.stderr, p.stderr


def test_a_recipe_without_rust_is_refused_by_the_rust_builder(runtime, tmp_path):
    r = {k: v for k, v in BASE.items() if k != "rust"}
    r["modules"] = {"x._x": {"init": "PyInit__x", "sources": ["x.c"]}}
    p = build(write(tmp_path, r), tmp_path / "out", runtime)
    assert p.returncode == 2 and "rust: required field missing" in p.stderr, p.stderr


def test_a_crate_without_cargo_lock_is_refused(runtime, tmp_path):
    crate = tmp_path / "crate"
    (crate / "src").mkdir(parents=True)
    (crate / "Cargo.toml").write_text('[package]\nname = "x"\nversion = "0.1.0"\nedition = "2021"\n[lib]\nname = "_x"\n')
    (crate / "src" / "lib.rs").write_text("")
    recipe = {**BASE, "source": {"path": "crate"}}
    p = build(write(tmp_path, recipe), tmp_path / "out", runtime)
    assert p.returncode == 1, p.stderr
    assert "no Cargo.lock for Cargo.toml in the source; a rust recipe builds only pinned crate versions" in p.stderr, p.stderr


# ---- pydantic v2 over the pydantic-core recipe ----------------------------------------------------------

# pydantic 2.12.5 pins pydantic-core==2.41.5 (recipes/pydantic-core.json, which also ships typing_extensions);
# its other pure-Python dependencies, as a worker's `packages` would bring them: pinned wheels from PyPI.
PYDANTIC_WHEELS = [
    ("pydantic-2.12.5-py3-none-any.whl", "e561593fccf61e8a20fc46dfc2dfe075b8be7d0188df33f221ad1f0139180f9d",
     "https://files.pythonhosted.org/packages/5a/87/b70ad306ebb6f9b585f114d0ac2137d792b48be34d732d60e597c2f8465a/pydantic-2.12.5-py3-none-any.whl"),
    ("typing_inspection-0.4.5-py3-none-any.whl", "bc210535442b39e1bf2805e0c7a17dfd6a4ace760c84c7f7d16245d23a6b1c39",
     "https://files.pythonhosted.org/packages/de/0c/ea2544850a7c135e15033a5c7a8e7211136184b7ae63e2239d557c2b3019/typing_inspection-0.4.5-py3-none-any.whl"),
    ("annotated_types-0.8.0-py3-none-any.whl", "f072f4d804ea359e4eaf198b1af7a8b0943881a87f31bb764f8bf219bb9419e0",
     "https://files.pythonhosted.org/packages/99/91/8acff4f5e50511b911bbccb72b8628a49c68ce14148cd9f6431094859a90/annotated_types-0.8.0-py3-none-any.whl"),
]


@pytest.mark.skipif("pydantic-core" not in RUST_RECIPES, reason="no pydantic-core recipe")
def test_pydantic_v2_models_on_python_wasm(node_host_ready, runtime, rust_builds, tmp_path):
    import zipfile

    import build_extension
    out = rust_builds(REPO / "recipes" / "pydantic-core.json")
    site = tmp_path / "site"
    for filename, sha256, url in PYDANTIC_WHEELS:
        whl = build_extension.download("", filename, sha256, url, field=filename)
        with zipfile.ZipFile(whl) as z:
            for n in z.namelist():
                if ".dist-info/" not in n:
                    z.extract(n, site)
    code = (HERE / "fixtures" / "pydantic_models.py").read_text()
    r = run_python([out / "site", site], [code], runtime)
    res = r["results"][0]
    assert res.get("ok"), res
    assert res["result"] == ["2.12.5", "2.12", "2.41.5"]
    print(f"[rust-extensions] pydantic 2.12.5 on python.wasm: import + models {res['ms']:.0f} ms ({r['driver']})")


# ---- FastAPI (examples/fastapi-worker) over the pydantic-core recipe --------------------------------------

# The example's packages, pinned, resolved by the builder's own resolution with the extension's distributions
# provided, as a worker build resolves them (pure-Python wheels from the package index); sniffio in addition, so
# its detection of pymode's loop is checked too.
FASTAPI_PACKAGES = ["fastapi==0.165.0", "starlette==1.10.0", "anyio==4.16.0", "pydantic==2.12.5", "sniffio==1.3.1"]


def node_with_jspi() -> str:
    """worker/scripts/node-jspi.sh's Node (>= 24, installed from npm into the cache on first use)."""
    p = subprocess.run(["bash", str(REPO / "worker" / "scripts" / "node-jspi.sh")], capture_output=True, text=True)
    assert p.returncode == 0, p.stderr[-2000:]
    return p.stdout.strip().splitlines()[-1]


# Both drivers: the project's Node 20 links the Asyncify variants, a Node with JSPI the plain ones (as workerd does).
@pytest.mark.skipif("pydantic-core" not in RUST_RECIPES, reason="no pydantic-core recipe")
@pytest.mark.parametrize("host", ["asyncify", "jspi"])
def test_the_fastapi_example_answers_its_routes_on_python_wasm(node_host_ready, runtime, rust_builds, tmp_path, host):
    sys.path.insert(0, str(REPO / "builder-image" / "bundler"))
    import pymode_build

    recipe_file = REPO / "recipes" / "pydantic-core.json"
    recipe = json.loads(recipe_file.read_text())
    out = rust_builds(recipe_file)
    provided = {"pydantic-core": recipe["version"], **recipe.get("provides", {})}
    site = pymode_build.resolve_packages(FASTAPI_PACKAGES, tmp_path / "resolve", provided)
    code = f"ENTRY_SOURCE = {(REPO / 'examples' / 'fastapi-worker' / 'src' / 'entry.py').read_text()!r}\n"
    code += (HERE / "fixtures" / "fastapi_app.py").read_text()
    r = run_python([out / "site", site], [code], runtime, node_with_jspi() if host == "jspi" else "node")
    assert r["driver"] == host, r["driver"]
    res = r["results"][0]
    assert res.get("ok"), res
    routes = {k: (status, body) for k, (status, body) in res["result"]["routes"].items()}

    def answer(key):
        status, body = routes[key]
        return status, (json.loads(body) if body.startswith(("{", "[")) else body)

    assert answer("GET / None") == (200, {"message": "Hello from FastAPI on PyMode!"})
    note = {"title": "hi", "body": "", "tags": ["a"], "id": "n1"}
    assert answer("PUT /notes/n1 b'{\"title\": \"hi\", \"tags\": [\"a\"]}'") == (201, note)
    assert answer("GET /notes/n1 None") == (200, note)
    assert answer("GET /notes/n2 None") == (404, {"detail": "no note n2"})
    status, body = answer("PUT /notes/n3 b'{\"title\": \"\"}'")
    assert status == 422 and [(e["type"], e["loc"]) for e in body["detail"]] == [("string_too_short", ["body", "title"])]
    status, body = answer("PUT /notes/n3 b'not json'")
    assert status == 422 and body["detail"][0]["type"] == "json_invalid", body
    assert answer("GET /notes?prefix=n None") == (200, {"ids": ["n1"]})
    assert answer("GET /sum?a=2&b=3 None") == (200, {"sum": 5})
    assert answer("GET /sum?a=two&b=3 None")[0] == 422
    status, spec = answer("GET /openapi.json None")
    assert status == 200 and spec["info"]["title"] == "Notes" and "/notes/{note_id}" in spec["paths"]
    assert spec["components"]["schemas"]["NoteIn"]["required"] == ["title"]
    status, docs = answer("GET /docs None")
    assert status == 200 and "SwaggerUIBundle" in docs and "/openapi.json" in docs
    # anyio's thread pool on python.wasm (pymode._wasi.patches): inline, in a context copy, without a running
    # loop, errors raised to the caller, the limiter's token given back; sniffio sees pymode's loop as asyncio
    assert res["result"]["anyio"] == {"library": "asyncio",
                                      "run_sync": {"x": 7, "same_thread": True, "loop": "none"},
                                      "var_after": "caller", "error": "'from the pool'", "borrowed_after": 0}
    print(f"[rust-extensions] FastAPI example on python.wasm ({r['driver']}): import {res['result']['import_ms']:.0f} ms, "
          f"first request {res['result']['first_request_ms']:.0f} ms")


# pydantic-core's own test suite (tests/ of the sdist, 107 modules) in python.wasm through the minimal pytest, with the
# pure-Python test dependencies as pinned wheels. What does not pass, and why:
PYDANTIC_CORE_TEST_WHEELS = [
    ("hypothesis-6.155.7-py3-none-any.whl", "9f634bdb1f9e9b8ab6ba09431cf2deedb750c96978125a6fb3c5a0f6c6db4131",
     "https://files.pythonhosted.org/packages/01/f8/c151e196d4f397ed9436a071e52666c70a2f021138dea828b0a461e245db/hypothesis-6.155.7-py3-none-any.whl"),
    ("attrs-26.1.0-py3-none-any.whl", "c647aa4a12dfbad9333ca4e71fe62ddc36f4e63b2d260a37a8b83d2f043ac309",
     "https://files.pythonhosted.org/packages/64/b4/17d4b0b2a2dc85a6df63d1157e028ed19f90d4cd97c36717afef2bc2f395/attrs-26.1.0-py3-none-any.whl"),
    ("sortedcontainers-2.4.0-py2.py3-none-any.whl", "a163dcaede0f1c021485e957a39245190e74249897e2ae4b2aa38595db237ee0",
     "https://files.pythonhosted.org/packages/32/46/9cb0e58b2deb7f82b84065f37f3bffeb12413f947f9388e4cac22c4621ce/sortedcontainers-2.4.0-py2.py3-none-any.whl"),
    ("dirty_equals-0.9.0-py3-none-any.whl", "ff4d027f5cfa1b69573af00f7ba9043ea652dbdce3fe5cbe828e478c7346db9c",
     "https://files.pythonhosted.org/packages/77/0c/03cc99bf3b6328604b10829de3460f2b2ad3373200c45665c38508e550c6/dirty_equals-0.9.0-py3-none-any.whl"),
]
PYDANTIC_CORE_NOT_PASSING = {
    # the harness, not the module: hypothesis' @given over pytest marks, the inline-snapshot plugin, and messages
    # that pytest's assertion rewriting would write ("assert 456 == 123")
    "pc_upstream_tests.test_hypothesis": "harness",
    "pc_upstream_tests.validators.test_allow_partial": "harness",
    "pc_upstream_tests.validators.test_model::test_model_class_root_validator_after": "harness",
    "pc_upstream_tests.validators.test_model::test_model_class_root_validator_before": "harness",
    "pc_upstream_tests.validators.test_model::test_model_class_root_validator_wrap": "harness",
    # the runtime: python313.zip ships no IANA time zone database (zoneinfo has no tzdata here)
    "pc_upstream_tests.validators.test_datetime::test_datetime_future_timezone": "no tzdata",
    "pc_upstream_tests.validators.test_datetime::test_datetime_past_timezone": "no tzdata",
    "pc_upstream_tests.validators.test_datetime::test_keep_tz": "no tzdata",
    "pc_upstream_tests.validators.test_datetime::test_keep_tz_bound": "no tzdata",
    "pc_upstream_tests.validators.test_datetime::test_tz_comparison": "no tzdata",
}


@pytest.mark.skipif("pydantic-core" not in RUST_RECIPES, reason="no pydantic-core recipe")
def test_pydantic_core_upstream_tests_in_python_wasm(node_host_ready, runtime, rust_builds, tmp_path):
    import zipfile

    import build_extension
    recipe = json.loads((REPO / "recipes" / "pydantic-core.json").read_text())
    out = rust_builds(REPO / "recipes" / "pydantic-core.json")
    site = tmp_path / "site"
    shutil.copytree(MINIPYTEST, site)
    for filename, sha256, url in PYDANTIC_CORE_TEST_WHEELS + PYDANTIC_WHEELS:  # test_misc imports typing_inspection
        whl = build_extension.download("", filename, sha256, url, field=filename)
        with zipfile.ZipFile(whl) as z:
            for n in z.namelist():
                if ".dist-info/" not in n:
                    z.extract(n, site)
    sdist = build_extension.CACHE / "downloads" / recipe["source"]["filename"]
    mods = []
    with tarfile.open(sdist) as t:
        for mem in t.getmembers():
            parts = Path(mem.name).parts
            if len(parts) > 2 and parts[1] == "tests" and "benchmarks" not in parts and parts[-1].endswith(".py") and mem.isfile():
                dest = site.joinpath("pc_upstream_tests", *parts[2:])
                dest.parent.mkdir(parents=True, exist_ok=True)
                dest.write_bytes(t.extractfile(mem).read())
                if parts[-1].startswith("test_"):
                    mods.append(".".join(["pc_upstream_tests", *parts[2:-1], parts[-1][:-3]]))
    assert len(mods) > 100, mods
    code = (f"import pymode_minitest\nr = pymode_minitest.run({sorted(mods)!r})\n"
            "result = [r['passed'], r['skipped'], r['xfailed'], [f[0] for f in r['failed']], [f[1][:300] for f in r['failed']]]")
    r = run_python([out / "site", site], [code], runtime)
    res = r["results"][0]
    assert res.get("ok"), res
    passed, skipped, xfailed, failed, why = res["result"]
    unexpected = {f: w for f, w in zip(failed, why) if f.split(": ")[0] not in PYDANTIC_CORE_NOT_PASSING}
    assert unexpected == {} and passed >= 5400, (passed, unexpected)
    print(f"[rust-extensions] pydantic-core upstream tests in python.wasm ({r['driver']}): {passed} passed, {skipped} skipped, "
          f"{xfailed} xfailed, {len(failed)} known not passing; {res['ms']:.0f} ms")

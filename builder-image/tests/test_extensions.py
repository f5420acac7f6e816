"""C extensions as wasm side modules (issue #7): the recipe builder, and imports through CPython's
dlopen -> pymode.dl_open -> the side-module linker (worker/src/runtime/dynlink.ts) in python.wasm
under the node host (worker/test/extension-run.mjs)."""
from __future__ import annotations

import hashlib
import json
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

from conftest import wasminfo

HERE = Path(__file__).resolve().parent
REPO = HERE.parent.parent
BUILDER = REPO / "builder-image" / "extensions" / "build_extension.py"
TESTEXT = REPO / "builder-image" / "extensions" / "testext" / "testext.json"
TESTEXT_MESON = REPO / "builder-image" / "extensions" / "testext-meson" / "testext-meson.json"
RUN = REPO / "worker" / "test" / "extension-run.mjs"


def build(recipe: Path, out: Path, runtime: Path, *extra: str) -> subprocess.CompletedProcess:
    return subprocess.run([sys.executable, str(BUILDER), str(recipe), "--runtime-dir", str(runtime), "--out", str(out), *extra],
                          capture_output=True, text=True, timeout=3600)  # numpy, cold: ~15-25 min on 2 shared cores


@pytest.fixture(scope="session")
def node_host_ready():
    if not (REPO / "worker" / "node_modules" / "esbuild").is_dir():
        pytest.fail("worker/node_modules is missing: run `npm ci` in worker/ (worker/test.sh does)")


@pytest.fixture(scope="session")
def markupsafe_out(runtime, tmp_path_factory) -> Path:
    out = tmp_path_factory.mktemp("ext") / "markupsafe"
    p = build(REPO / "recipes" / "markupsafe.json", out, runtime)
    assert p.returncode == 0, p.stderr
    return out


@pytest.fixture(scope="session")
def testext_out(runtime, tmp_path_factory) -> Path:
    out = tmp_path_factory.mktemp("ext") / "testext"
    p = build(TESTEXT, out, runtime)
    assert p.returncode == 0, p.stderr
    return out


def run_python(sites: list[Path], codes: list[str], runtime: Path) -> dict:
    cmd = ["node", "--no-warnings", "--stack-size=4000", str(RUN), "--runtime", str(runtime)]
    for s in sites:
        cmd += ["--site", str(s / "site")]
    p = subprocess.run(cmd, input=json.dumps(codes), capture_output=True, text=True, timeout=300)
    assert p.returncode == 0, p.stderr[-4000:]
    return json.loads(p.stdout)


# ---- the runtime side -----------------------------------------------------------------------------

def test_runtime_exports_what_side_modules_need(runtime, manifest):
    assert manifest["extensions"] == {"ext_suffix": ".cpython-313-wasm32-wasi.so", "soabi": "cpython-313-wasm32-wasi",
                                      "abi_version": 1}
    mod = wasminfo.load(str(runtime / "python.wasm"))
    exports = {e["name"] for e in mod.exports}
    assert {"__indirect_function_table", "__stack_pointer", "aligned_alloc", "PyModule_Create2", "PyUnicode_New",
            "__asyncify_state", "__asyncify_data"} <= exports


def test_table_is_growable(runtime):
    # The linker grows the shared function table; wasm-ld's maximum is dropped by growable_table.py.
    sys.path.insert(0, str(REPO / "builder-image" / "runtime"))
    import growable_table
    for name in ("python.wasm", "python-noasync.wasm"):
        data = (runtime / name).read_bytes()
        assert growable_table.make_growable(data) == (data, 0), f"{name} still has a table maximum"


# ---- the builder ------------------------------------------------------------------------------------

def test_markupsafe_builds_into_a_side_module(markupsafe_out):
    # Two variants: the plain side module where FileFinder looks (JSPI), the Asyncify one beside it.
    m = json.loads((markupsafe_out / "manifest.json").read_text())
    spec = m["modules"]["markupsafe._speedups"]
    assert spec["init"] == "PyInit__speedups"
    assert spec["file"] == "markupsafe/_speedups.cpython-313-wasm32-wasi.so"
    assert spec["asyncify"]["file"] == "markupsafe/_speedups.cpython-313-wasm32-wasi.so.asyncify.wasm"
    for variant, asyncify in ((spec, None), (spec["asyncify"], "relocatable")):
        so = markupsafe_out / "site" / variant["file"]
        data = so.read_bytes()
        assert (len(data), hashlib.sha256(data).hexdigest()) == (variant["size"], variant["sha256"])
        mod = wasminfo.load(str(so))
        assert "dylink.0" in mod.custom and "pymode.abi" in mod.custom
        assert f'"asyncify": {json.dumps(asyncify)}'.encode() in data  # the pymode.abi JSON
        assert "PyInit__speedups" in {e["name"] for e in mod.exports}
        imports = {(i["module"], i["name"]) for i in mod.imports}
        assert {("env", "memory"), ("env", "__indirect_function_table"), ("env", "__memory_base")} <= imports
        assert (("env", "__asyncify_state") in imports) == (asyncify is not None)
    assert spec["size"] < spec["asyncify"]["size"]
    assert (markupsafe_out / "site" / "markupsafe" / "__init__.py").is_file()
    assert m["source_sha256"] == json.loads((REPO / "recipes" / "markupsafe.json").read_text())["source"]["sha256"]


@pytest.mark.parametrize("patch,field", [
    ({"source": {"pypi": "markupsafe", "filename": "markupsafe-3.0.2.tar.gz", "sha256": "abc"}}, "source.sha256"),
    ({"modules": {"markupsafe._speedups": {"init": "PyInit_speedups", "sources": ["src/markupsafe/_speedups.c"]}}},
     "modules.markupsafe._speedups.init"),
    ({"modules": {}, "packages": {}}, "modules: empty"),
    ({"versoin": "1"}, "versoin"),
    ({"cflags": ["O2"]}, "cflags[0]"),
    ({"meson": {}}, "modules.markupsafe._speedups.sources: meson builds this module"),
    ({"meson": {"options": ["--buildtype=debug"]}, "cflags": None}, "meson.options[0]"),
    ({"meson": {"flags": []}}, "meson.flags: unknown field"),
    ({"source": {"pypi": "markupsafe", "url": "https://x/y.tar.gz", "filename": "y.tar.gz", "sha256": "0" * 64}}, "source"),
])
def test_bad_recipe_is_refused_naming_the_field(runtime, tmp_path, patch, field):
    recipe = json.loads((REPO / "recipes" / "markupsafe.json").read_text())
    recipe.update(patch)
    recipe = {k: v for k, v in recipe.items() if v is not None}
    path = tmp_path / "markupsafe.json"
    path.write_text(json.dumps(recipe))
    p = build(path, tmp_path / "out", runtime)
    assert p.returncode == 2, p.stderr
    assert f"refused recipe {path}: {field}" in p.stderr


def test_meson_recipe_needs_no_module_sources(runtime, tmp_path):
    recipe = json.loads(TESTEXT_MESON.read_text())
    recipe["modules"]["pymode_mesontest._c"]["sources"] = ["src/_c.c"]
    path = tmp_path / "testext-meson.json"
    path.write_text(json.dumps({**recipe, "source": {"path": str(TESTEXT_MESON.parent)}}))
    p = build(path, tmp_path / "out", runtime)
    assert p.returncode == 2 and "modules.pymode_mesontest._c.sources: meson builds this module" in p.stderr, p.stderr
    del recipe["modules"]["pymode_mesontest._c"]["sources"]
    path.write_text(json.dumps({**recipe, "cflags": ["-O2"], "source": {"path": str(TESTEXT_MESON.parent)}}))
    p = build(path, tmp_path / "out", runtime)
    assert p.returncode == 2 and "cflags: not used by a meson recipe" in p.stderr, p.stderr
    path.write_text(json.dumps({**recipe, "meson": None, "source": {"path": str(TESTEXT_MESON.parent)}}))
    p = build(path, tmp_path / "out", runtime)
    assert p.returncode == 2 and "meson: expected object" in p.stderr, p.stderr


def test_missing_required_field_is_named(runtime, tmp_path):
    recipe = json.loads((REPO / "recipes" / "markupsafe.json").read_text())
    del recipe["version"]
    path = tmp_path / "markupsafe.json"
    path.write_text(json.dumps(recipe))
    p = build(path, tmp_path / "out", runtime)
    assert p.returncode == 2 and "version: required field missing" in p.stderr


# `rust` recipes are built by build_rust_extension.py and tested in test_rust_extensions.py
RECIPES = sorted(p.stem for p in (REPO / "recipes").glob("*.json")
                 if p.name != "schema.json" and "rust" not in json.loads(p.read_text()))


@pytest.fixture(scope="session")
def recipe_builds(runtime, tmp_path_factory):
    """name -> builder output dir, built once per session (recipes depend on each other)."""
    root = tmp_path_factory.mktemp("recipes")
    done: dict[str, Path] = {}

    def get(name: str) -> list[Path]:
        """The output dirs of `name` and everything it depends on."""
        recipe = json.loads((REPO / "recipes" / f"{name}.json").read_text())
        if name not in done:
            p = build(REPO / "recipes" / f"{name}.json", root / name, runtime)
            assert p.returncode == 0, p.stderr
            done[name] = root / name
        out = [done[name]]
        for dep in recipe.get("depends", []):
            out += [d for d in get(dep) if d not in out]
        return out
    return get


@pytest.mark.parametrize("name", RECIPES)
def test_recipe_builds_and_its_test_passes_in_python_wasm(node_host_ready, runtime, recipe_builds, name):
    recipe = json.loads((REPO / "recipes" / f"{name}.json").read_text())
    outs = recipe_builds(name)
    m = json.loads((outs[0] / "manifest.json").read_text())
    assert m["warnings"] == [], m["warnings"]  # no callback that would trap through a cast
    for mod, spec in m["modules"].items():
        assert (outs[0] / "site" / spec["file"]).is_file(), mod
    for f in (outs[0] / "site").rglob("*"):  # no build-machine path (temporary build dir, cache) in what ships
        if f.is_file():
            data = f.read_bytes()
            assert b"pymode-ext-" not in data and b"/.cache/pymode" not in data, f
    assert recipe.get("test"), f"recipes/{name}.json has no test"
    r = run_python(outs, [recipe["test"] + "\nresult = 'passed'"], runtime)
    res = r["results"][0]
    assert res.get("ok") and res["result"] == "passed", res
    linked = {l["path"] for l in r["linked"]}
    assert {f"/lib/site/{s['file']}" for s in m["modules"].values()} <= linked
    with_sizes = ", ".join(f"{mod} {s['size']:,} B" for mod, s in m["modules"].items()) or "pure Python"
    print(f"[extensions] {name} {m['version']}: {with_sizes}; test {res['ms']:.0f} ms; link {r['linkMs']}")


def test_several_extensions_in_one_instance(node_host_ready, runtime, recipe_builds):
    names = [n for n in RECIPES if n != "idna"]
    outs: list[Path] = []
    for n in names:
        outs += [d for d in recipe_builds(n) if d not in outs]
    codes = [json.loads((REPO / "recipes" / f"{n}.json").read_text())["test"] + "\nresult = 'passed'" for n in names]
    r = run_python(outs, codes, runtime)
    assert [x.get("result") for x in r["results"]] == ["passed"] * len(names), r["results"]
    site = [x for x in r["linked"] if x["path"].startswith("/lib/site/")]
    assert len(site) == sum(len(json.loads((REPO / "recipes" / f"{n}.json").read_text())["modules"]) for n in names)
    # and one of the runtime's side modules: yarl's IDN host goes through the idna codec, which needs unicodedata
    assert [x["path"] for x in r["linked"] if x not in site] == ["/lib/python3.13/lib-dynload/unicodedata.cpython-313-wasm32-wasi.so"]


def test_meson_recipe_c_and_cxx_side_modules(node_host_ready, runtime, tmp_path):
    # The general meson path with the pinned PyPI meson: a configure check (strtold_l in wasi-libc) in a
    # generated header, a -D option, a C module and a C++ module that needs the C++ support archive.
    out = tmp_path / "testext-meson"
    p = build(TESTEXT_MESON, out, runtime, "--no-cache")
    assert p.returncode == 0, p.stderr
    m = json.loads((out / "manifest.json").read_text())
    assert m["toolchain"]["meson"]["meson"] == "meson 1.12.1 (PyPI)" and m["toolchain"]["meson"]["ninja"] == "1.13.0"
    assert set(m["modules"]) == {"pymode_mesontest._c", "pymode_mesontest._cxx"} and m["warnings"] == []
    cxx = wasminfo.load(str(out / "site" / m["modules"]["pymode_mesontest._cxx"]["file"]))
    imports = {i["name"] for i in cxx.imports}
    assert not {n for n in imports if n.startswith("_Z")}, imports  # libc++ comes statically, python.wasm has none
    r = run_python([out], [json.loads(TESTEXT_MESON.read_text())["test"] + "\nresult = 'passed'"], runtime)
    assert r["results"][0].get("result") == "passed", r["results"][0]
    assert len(r["linked"]) == 2


def test_builds_are_cached(runtime, tmp_path):
    a, b, c = tmp_path / "a", tmp_path / "b", tmp_path / "c"
    assert build(REPO / "recipes" / "markupsafe.json", a, runtime).returncode == 0
    p = build(REPO / "recipes" / "markupsafe.json", b, runtime)
    assert p.returncode == 0 and "cached build" in p.stderr
    ma, mb = (json.loads((d / "manifest.json").read_text()) for d in (a, b))
    assert ma == mb and ma["build_key"]
    p = build(REPO / "recipes" / "markupsafe.json", c, runtime, "--no-cache")
    assert p.returncode == 0 and "cached build" not in p.stderr
    mc = json.loads((c / "manifest.json").read_text())
    assert mc["modules"] == ma["modules"]  # reproducible: the same side module bytes


def test_cast_checker_finds_one_parameter_callbacks(tmp_path):
    sys.path.insert(0, str(BUILDER.parent))
    import build_extension
    (tmp_path / "m.c").write_text(
        "static PyObject *good(PyObject *self, PyObject *Py_UNUSED(x)) { return NULL; }\n"
        "static PyObject *bad(PyObject *self) { return NULL; }\n"
        "static PyObject *get_x(PyObject *self) { return NULL; }\n"
        "static PyObject *kw(PyObject *NPY_UNUSED(self), PyObject *args) { return NULL; }\n"
        "static PyMethodDef m[] = {{\"good\", (PyCFunction)good, METH_NOARGS}, {\"bad\", (PyCFunction)bad, METH_NOARGS},\n"
        "    {\"kw\", (PyCFunction)kw,\n        METH_VARARGS | METH_KEYWORDS}};\n"
        "static PyGetSetDef g[] = {{\"x\", (getter)get_x, NULL}};\n")
    w = build_extension.cast_signature_warnings(tmp_path, ["m.c"])
    assert len(w) == 3, w
    assert w[0].startswith("METH_NOARGS method bad(") and w[1].startswith("METH_VARARGS|METH_KEYWORDS method kw(")
    assert w[2].startswith("getter get_x(")


def test_every_recipe_is_valid():
    sys.path.insert(0, str(BUILDER.parent))
    import build_extension
    import build_rust_extension
    for path in sorted((REPO / "recipes").glob("*.json")):
        if path.name == "schema.json":
            continue
        if "rust" in json.loads(path.read_text()):
            build_rust_extension.load_recipe(path)
        else:
            build_extension.load_recipe(path)


# ---- loading in python.wasm -----------------------------------------------------------------------------

def test_markupsafe_speedups_are_used(node_host_ready, runtime, markupsafe_out):
    r = run_python([markupsafe_out], [
        "import markupsafe, markupsafe._speedups as s, importlib.machinery as m\n"
        "result = [str(markupsafe.escape('<b>')), s.__file__, type(s.__loader__).__name__,\n"
        "          markupsafe._escape_inner is s._escape_inner, type(s._escape_inner).__name__,\n"
        "          str(markupsafe.Markup('<em>%s</em>') % '<x>')]",
    ], runtime)
    res = r["results"][0]
    assert res["ok"], res
    escaped, file, loader, same, kind, markup = res["result"]
    assert escaped == "&lt;b&gt;"
    assert file == "/lib/site/markupsafe/_speedups.cpython-313-wasm32-wasi.so"
    assert loader == "ExtensionFileLoader"
    assert same is True and kind == "builtin_function_or_method"  # C code, not markupsafe._native
    assert markup == "<em>&lt;x&gt;</em>"
    assert [l["path"] for l in r["linked"]] == [file]


def test_side_module_features_and_errors(node_host_ready, runtime, testext_out):
    r = run_python([testext_out], [
        # data relocations, own function pointers, libc (snprintf, qsort with a side-module callback)
        "import pymode_testext._cb as cb\nresult = [cb.info(), cb.sort([5, 3, 9, 1]), cb.call(lambda: 6 * 7), cb.info()[3]]",
        # a Python callback from C that waits for the host, three times in one C call: Asyncify unwinds and
        # rewinds through the side module's Asyncify variant; JSPI suspends the plain one as it is
        "import pymode_testext._cb as cb\nenv.MY_KV.put('k', 'v')\n"
        "result = [cb.call(lambda: env.MY_KV.get('k')), cb.call(lambda: [env.MY_KV.get('k') for _ in range(3)]), cb.info()[3]]",
        "result = env.MY_KV.get('k')",
        # a symbol python.wasm does not export
        "import pymode_testext._missing",
    ], runtime)
    info, blocked, after, missing = r["results"]
    assert info["ok"], info
    assert info["result"] == [["side module linked", 21, 49, 0], [1, 3, 5, 9], 42, 1]
    assert blocked["ok"] and blocked["result"] == ["v", ["v", "v", "v"], 3], blocked
    assert after["ok"] and after["result"] == "v"
    # the variant the bundle's driver links: Asyncify on node 20, plain on a node with JSPI
    assert [l["asyncified"] for l in r["linked"]] == [r["driver"] == "asyncify"], r["driver"]
    assert not missing["ok"] and missing["type"] == "ImportError"
    assert "undefined symbol PyMode_NoSuchSymbol" in missing["error"]
    assert "_missing.cpython-313-wasm32-wasi.so" in missing["error"]


def test_unasyncified_side_module_refuses_to_suspend(node_host_ready, runtime, tmp_path):
    # A side module with no Asyncify variant (--no-asyncify) under the Asyncify driver (node 20): a host
    # call from its callback would corrupt it if the stack were unwound through it, so the host refuses
    # the call with a clear error instead.
    out = tmp_path / "testext-noasync"
    p = build(TESTEXT, out, runtime, "--no-asyncify")
    assert p.returncode == 0, p.stderr
    m = json.loads((out / "manifest.json").read_text())
    assert [spec["asyncify"] for spec in m["modules"].values()] == [None, None]
    assert not list((out / "site").rglob("*.asyncify.wasm"))
    r = run_python([out], [
        "import pymode_testext._cb as cb\nenv.MY_KV.put('k', 'v')\n"
        "try:\n    cb.call(lambda: env.MY_KV.get('k'))\n    result = None\n"
        "except Exception as e:\n    result = [type(e).__name__, str(e)]",
        "import pymode_testext._cb as cb\nresult = [env.MY_KV.get('k'), cb.call(lambda: 7)]",
    ], runtime)
    blocked, after = r["results"]
    assert blocked["ok"] and blocked["result"][0] == "KVError", blocked
    assert "C extension (wasm side module) is on the stack" in blocked["result"][1]
    assert after["ok"] and after["result"] == ["v", 7]
    assert [l["asyncified"] for l in r["linked"]] == [False]


def test_cython_callback_may_wait_for_the_host(node_host_ready, runtime, recipe_builds):
    # propcache's C cached_property calls the Python getter, which reads KV (suspends) under it.
    r = run_python(recipe_builds("propcache"), [
        "from propcache.api import cached_property\nenv.MY_KV.put('k', 'v1')\n"
        "class A:\n    @cached_property\n    def x(self):\n        return env.MY_KV.get('k') + '!'\n"
        "a = A()\nresult = [a.x, a.x, type(A.__dict__['x']).__module__]"], runtime)
    assert r["results"][0]["result"] == ["v1!", "v1!", "propcache._helpers_c"], r["results"][0]


def test_abi_mismatch_is_a_clear_import_error(node_host_ready, runtime, tmp_path):
    out = tmp_path / "ms312"
    p = build(REPO / "recipes" / "markupsafe.json", out, runtime, "--soabi", "cpython-312-wasm32-wasi")
    assert p.returncode == 0, p.stderr
    r = run_python([out], ["import markupsafe._speedups",
                           "import markupsafe\nresult = markupsafe._escape_inner.__module__"], runtime)
    err, fallback = r["results"]
    assert not err["ok"] and err["type"] == "ImportError"
    assert ("ABI mismatch: built for cpython-312-wasm32-wasi (pymode ABI 1), this runtime is "
            "cpython-313-wasm32-wasi") in err["error"]
    # markupsafe's own fallback still works: pure Python
    assert fallback["result"] == "markupsafe._native"


def test_import_timings(node_host_ready, runtime, markupsafe_out, capsys):
    code = ("import sys, time\nt0 = time.perf_counter()\nimport markupsafe\nt1 = time.perf_counter()\n"
            "import markupsafe._speedups\nt2 = time.perf_counter()\n"
            "result = {'cold_ms': (t1 - t0) * 1000, 'warm_ms': (t2 - t1) * 1000}")
    r = run_python([markupsafe_out], [code], runtime)
    res = r["results"][0]
    assert res["ok"], res
    with capsys.disabled():
        print(f"\n[extensions] markupsafe: first import {res['result']['cold_ms']:.1f} ms (package + link "
              f"{list(r['linkMs'].values())[0]} ms), again {res['result']['warm_ms']:.3f} ms")

"""Unit tests of the recipe builder's logic that runs before any compiler (extensions/build_extension.py): the
recipe checks (schema subset and the rules JSON Schema cannot say), the build key that decides whether a cached
build is reused, the cast checker's #include following, and the wasm custom section it writes (read back with
runtime/wasminfo.py, as the side-module linker reads it)."""
from __future__ import annotations

import copy
import json
import sys
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parents[3]
sys.path.insert(0, str(REPO / "builder-image" / "extensions"))
sys.path.insert(0, str(REPO / "builder-image" / "runtime"))
import build_extension as be  # noqa: E402
import wasminfo  # noqa: E402

SCHEMA = json.loads((REPO / "recipes" / "schema.json").read_text())
MINIMAL = {"name": "demo", "version": "1.0", "source": {"path": "."},
           "modules": {"demo._speedups": {"init": "PyInit__speedups", "sources": ["src/speedups.c"]}}}


def _write(tmp_path: Path, recipe: dict, name: str = "demo.json") -> Path:
    path = tmp_path / name
    path.write_text(json.dumps(recipe))
    return path


def _changed(**changes) -> dict:
    recipe = copy.deepcopy(MINIMAL)
    for dotted, value in changes.items():
        *parents, leaf = dotted.split("__")
        target = recipe
        for p in parents:
            target = target[p]
        if value is None:
            del target[leaf]
        else:
            target[leaf] = value
    return recipe


# ---- the schema subset ---------------------------------------------------------------------------------

def test_the_minimal_recipe_is_valid(tmp_path):
    assert be.load_recipe(_write(tmp_path, MINIMAL)) == MINIMAL


@pytest.mark.parametrize("recipe, message", [
    (_changed(version=1), "version: expected string, got int 1"),
    (_changed(colour="blue"), "colour: unknown field"),
    (_changed(source={"path": ".", "pypi": "demo", "filename": "demo.tar.gz", "sha256": "0" * 64}),
     r"source: give exactly one of: pypi\+filename\+sha256 \| url\+filename\+sha256 \| path"),
    (_changed(source={"filename": "demo.tar.gz"}), "source: give exactly one of"),
    (_changed(source={"url": "http://x/demo.tar.gz", "filename": "demo.tar.gz", "sha256": "0" * 64}),
     r"source.url: 'http://x/demo.tar.gz' does not match \^https://"),
    (_changed(source={"path": ".", "strip": -1}), "source.strip: -1 is below 0"),
    (_changed(source={"path": ".", "strip": True}), "source.strip: expected integer, got bool"),
    (_changed(modules=None), "modules: required field missing"),
])
def test_a_recipe_against_the_schema_is_refused_naming_the_field(tmp_path, recipe, message):
    with pytest.raises(be.RecipeError, match=message):
        be.load_recipe(_write(tmp_path, recipe))


def test_array_items_are_named_by_their_index():
    with pytest.raises(be.RecipeError, match=r"cflags\[1\]: expected string"):
        be.validate({**MINIMAL, "cflags": ["-O2", 3]}, SCHEMA, "")


def test_a_file_that_is_not_json_is_named(tmp_path):
    path = tmp_path / "demo.json"
    path.write_text("{'single': 'quotes'}")
    with pytest.raises(be.RecipeError, match="not readable JSON"):
        be.load_recipe(path)


# ---- the rules the schema cannot say -------------------------------------------------------------------

def test_the_init_function_must_be_the_one_cpython_looks_for(tmp_path):
    recipe = _changed(modules={"demo._speedups": {"init": "PyInit_speedups", "sources": ["s.c"]}})
    with pytest.raises(be.RecipeError, match="modules.demo._speedups.init: CPython looks for PyInit__speedups"):
        be.load_recipe(_write(tmp_path, recipe))


def test_a_recipe_that_builds_nothing_is_refused(tmp_path):
    with pytest.raises(be.RecipeError, match="would build nothing"):
        be.load_recipe(_write(tmp_path, _changed(modules={})))


def test_a_pure_package_only_recipe_is_allowed(tmp_path):
    recipe = _changed(modules={}, packages={"demo": "src/demo"})
    assert be.load_recipe(_write(tmp_path, recipe))["packages"] == {"demo": "src/demo"}


def test_a_module_needs_sources_unless_meson_builds_it(tmp_path):
    no_sources = _changed(modules={"demo._c": {"init": "PyInit__c"}})
    with pytest.raises(be.RecipeError, match="modules.demo._c.sources: required field missing"):
        be.load_recipe(_write(tmp_path, no_sources))
    meson = {**no_sources, "meson": {}}
    assert be.load_recipe(_write(tmp_path, meson))["meson"] == {}
    with pytest.raises(be.RecipeError, match="meson builds this module"):
        be.load_recipe(_write(tmp_path, {**MINIMAL, "meson": {}}))
    with pytest.raises(be.RecipeError, match="cflags: not used by a meson recipe"):
        be.load_recipe(_write(tmp_path, {**meson, "cflags": ["-O2"]}))


def test_a_catalogue_recipe_must_be_named_as_its_file(tmp_path, monkeypatch):
    catalogue = tmp_path / "recipes"
    catalogue.mkdir()
    (catalogue / "schema.json").write_text(json.dumps(SCHEMA))
    monkeypatch.setattr(be, "REPO", tmp_path)
    monkeypatch.setattr(be, "SCHEMA", catalogue / "schema.json")
    with pytest.raises(be.RecipeError, match="does not match the file name other.json"):
        be.load_recipe(_write(catalogue, MINIMAL, "other.json"))
    # outside the catalogue (a test's or an inline recipe) the file name is free
    assert be.load_recipe(_write(tmp_path, MINIMAL, "other.json"))["name"] == "demo"


# ---- the build key -------------------------------------------------------------------------------------

@pytest.fixture
def inputs(tmp_path):
    """A recipe with a patch and a local source tree, and a runtime directory with its manifest."""
    (tmp_path / "src").mkdir()
    (tmp_path / "src" / "speedups.c").write_text("int x;\n")
    (tmp_path / "fix.patch").write_text("--- a\n+++ b\n")
    recipe = {**MINIMAL, "patches": ["fix.patch"]}
    path = _write(tmp_path, recipe)
    runtime = tmp_path / "runtime"
    runtime.mkdir()
    (runtime / "manifest.json").write_text('{"key": "rt1"}')
    return path, recipe, runtime


def _key(inputs, soabi="cpython-313-wasm32-wasi", asyncify=True) -> str:
    path, recipe, runtime = inputs
    return be.build_key(path, recipe, runtime, soabi, asyncify)


def test_equal_inputs_give_the_same_key(inputs):
    assert _key(inputs) == _key(inputs)


@pytest.mark.parametrize("change", [
    lambda root: (root / "demo.json").write_text(json.dumps({**MINIMAL, "version": "1.1", "patches": ["fix.patch"]})),
    lambda root: (root / "fix.patch").write_text("--- a\n+++ c\n"),
    lambda root: (root / "src" / "speedups.c").write_text("int y;\n"),
    lambda root: (root / "src" / "new.h").write_text(""),
    lambda root: (root / "runtime" / "manifest.json").write_text('{"key": "rt2"}'),
], ids=["recipe", "patch", "source file", "new source file", "runtime"])
def test_every_input_of_the_output_changes_the_key(inputs, change):
    before = _key(inputs)
    change(inputs[0].parent)
    assert _key(inputs) != before


def test_the_variants_asked_for_change_the_key(inputs):
    assert len({_key(inputs), _key(inputs, asyncify=False), _key(inputs, soabi=None)}) == 3


def test_bytecode_caches_in_the_source_tree_do_not_change_the_key(inputs):
    before = _key(inputs)
    (inputs[0].parent / "src" / "__pycache__").mkdir()
    (inputs[0].parent / "src" / "__pycache__" / "x.cpython-313.pyc").write_bytes(b"\0")
    assert _key(inputs) == before


# ---- casts that trap in wasm, through #included .c files ------------------------------------------------

def test_the_cast_checker_reads_the_c_files_a_compiled_source_includes(tmp_path):
    (tmp_path / "backend").mkdir()
    (tmp_path / "backend" / "all.c").write_text('#include "part.c"\n')
    (tmp_path / "backend" / "part.c").write_text(
        "static PyObject *flush(PyObject *self) { return NULL; }\n"
        "static PyMethodDef m[] = {{\"flush\", (PyCFunction)flush, METH_O}};\n")
    (tmp_path / "unused.c").write_text(
        "static PyObject *other(PyObject *self) { return NULL; }\n"
        "static PyMethodDef n[] = {{\"other\", (PyCFunction)other, METH_NOARGS}};\n")
    warnings = be.cast_signature_warnings(tmp_path, ["backend/all.c"])
    assert len(warnings) == 1 and warnings[0].startswith("METH_O method flush(PyObject *self) takes 1 parameter(s)")


# ---- the pymode.abi custom section ---------------------------------------------------------------------

WASM_HEADER = b"\0asm\x01\0\0\0"


@pytest.mark.parametrize("payload_size", [0, 5, 300, 20000])
def test_a_custom_section_reads_back_with_its_name_and_size(payload_size):
    section = wasminfo.custom_section(be.PYMODE_ABI_SECTION, b"x" * payload_size)
    module = wasminfo.parse(WASM_HEADER + section)
    name_field = 1 + len(be.PYMODE_ABI_SECTION)
    assert module.custom == {be.PYMODE_ABI_SECTION: name_field + payload_size}

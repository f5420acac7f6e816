"""Unit tests of the recipe builders' steps before and around the compiler, on files made here: unpacking
sources (strip, unsafe paths), pinned downloads (cache hit, sha256 mismatch), local sources, meson's settings
and build-details, the cast fixer's rewrite (extensions/fix_casts.py), and the Rust builder's recipe rules,
build key, cargo environment and ar reader (extensions/build_rust_extension.py)."""
from __future__ import annotations

import hashlib
import io
import json
import sys
import tarfile
import zipfile
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parents[3]
sys.path.insert(0, str(REPO / "builder-image" / "extensions"))
import build_extension as be  # noqa: E402
import build_rust_extension as br  # noqa: E402
import fix_casts  # noqa: E402


# ---- unpacking and fetching sources --------------------------------------------------------------------

def _tar(path: Path, members: dict[str, bytes], symlink: str | None = None) -> Path:
    with tarfile.open(path, "w:gz") as t:
        for name, data in members.items():
            info = tarfile.TarInfo(name)
            info.size = len(data)
            t.addfile(info, io.BytesIO(data))
        if symlink:
            link = tarfile.TarInfo(symlink)
            link.type = tarfile.SYMTYPE
            link.linkname = "/etc/passwd"
            t.addfile(link)
    return path


def test_a_tarball_unpacks_without_its_top_directory_and_without_links(tmp_path):
    archive = _tar(tmp_path / "demo-1.0.tar.gz", {"demo-1.0/setup.py": b"x", "demo-1.0/src/m.c": b"int x;"},
                   symlink="demo-1.0/evil")
    be.unpack(archive, tmp_path / "out", 1)
    assert sorted(p.relative_to(tmp_path / "out").as_posix() for p in (tmp_path / "out").rglob("*") if p.is_file()) \
        == ["setup.py", "src/m.c"]
    assert not (tmp_path / "out" / "evil").exists()


@pytest.mark.parametrize("name", ["demo-1.0/../../escape.c", "/abs/path.c"])
def test_a_tarball_member_outside_the_tree_is_refused(tmp_path, name):
    archive = _tar(tmp_path / "bad.tar.gz", {name: b"x"})
    with pytest.raises(be.BuildError, match="unsafe path"):
        be.unpack(archive, tmp_path / "out", 1)


def test_a_zip_unpacks_with_its_strip_and_refuses_escapes(tmp_path):
    good = tmp_path / "demo.zip"
    with zipfile.ZipFile(good, "w") as z:
        z.writestr("demo/pkg/__init__.py", "")
        z.writestr("demo/pkg/", "")
    be.unpack(good, tmp_path / "out", 1)
    assert (tmp_path / "out" / "pkg" / "__init__.py").is_file()
    bad = tmp_path / "bad.zip"
    with zipfile.ZipFile(bad, "w") as z:
        z.writestr("demo/../../escape.py", "")
    with pytest.raises(be.BuildError, match="unsafe path"):
        be.unpack(bad, tmp_path / "out2", 1)


def test_a_pinned_download_is_checked_and_kept_in_the_cache(tmp_path, monkeypatch):
    monkeypatch.setattr(be, "CACHE", tmp_path / "cache")
    source = tmp_path / "demo-1.0.tar.gz"
    source.write_bytes(b"archive bytes")
    pinned = hashlib.sha256(b"archive bytes").hexdigest()
    got = be.download("demo", source.name, pinned, url=source.as_uri())
    assert got == tmp_path / "cache" / "downloads" / source.name and got.read_bytes() == b"archive bytes"
    source.unlink()  # a second build finds it in the cache and fetches nothing
    assert be.download("demo", source.name, pinned, url=source.as_uri()) == got


def test_a_download_that_does_not_match_its_pin_is_refused_and_not_kept(tmp_path, monkeypatch):
    monkeypatch.setattr(be, "CACHE", tmp_path / "cache")
    source = tmp_path / "demo-1.0.tar.gz"
    source.write_bytes(b"tampered")
    with pytest.raises(be.BuildError, match=r"source.sha256: demo-1.0.tar.gz from .* has sha256 [0-9a-f]{64}, pinned"):
        be.download("demo", source.name, "0" * 64, url=source.as_uri())
    assert list((tmp_path / "cache" / "downloads").iterdir()) == []


def test_a_local_source_is_used_in_place(tmp_path):
    (tmp_path / "src").mkdir()
    recipe = {"source": {"path": "src"}}
    assert be.fetch_source(recipe, tmp_path / "demo.json", tmp_path / "work") == ((tmp_path / "src").resolve(), None)
    with pytest.raises(be.BuildError, match="source.path: .* is not a directory"):
        be.fetch_source({"source": {"path": "missing"}}, tmp_path / "demo.json", tmp_path / "work")


# ---- meson --------------------------------------------------------------------------------------------

def test_meson_ini_values_are_quoted_lists_and_booleans():
    assert be._ini(["-O2", "it's"]) == "['-O2', 'it\\'s']"
    assert be._ini(True) == "true" and be._ini(False) == "false"
    assert be._ini("C:\\path") == "'C:\\\\path'"


def test_the_build_details_describe_the_wasm_python_not_the_builders(tmp_path):
    details = be.build_details({"python": "3.13.1"}, {"ext_suffix": ".cpython-313-wasm32-wasi.so"}, tmp_path)
    assert details["platform"] == "wasi-wasm32"
    assert details["language"]["version"] == "3.13"
    assert details["implementation"]["hexversion"] == 0x030D01F0
    assert details["abi"]["extension_suffix"] == ".cpython-313-wasm32-wasi.so"
    assert details["c_api"]["headers"] == str(tmp_path)


def test_a_recipes_own_meson_must_be_in_its_source(tmp_path):
    (tmp_path / "vendored").mkdir()
    (tmp_path / "vendored" / "meson.py").write_text("")
    cmd, what = be.meson_cmd({"meson": {"meson": "vendored/meson.py"}}, tmp_path)
    assert cmd == [sys.executable, str(tmp_path / "vendored" / "meson.py")] and "from the source" in what
    with pytest.raises(be.BuildError, match="meson.meson: nope.py is not a file in the source"):
        be.meson_cmd({"meson": {"meson": "nope.py"}}, tmp_path)


def test_a_failing_command_fails_the_build_with_its_output(tmp_path):
    log: list[str] = []
    with pytest.raises(be.BuildError, match=r"command failed \(3\)"):
        be.run([sys.executable, "-c", "import sys; print('out'); sys.stderr.write('the error'); sys.exit(3)"], log)
    assert log[1] == "out\nthe error"


# ---- fix_casts -------------------------------------------------------------------------------------------

def test_the_cast_fixer_adds_the_parameters_cpython_passes(tmp_path, capsys):
    (tmp_path / "m.c").write_text(
        "static PyObject *size(PyObject *self);\n"
        "static PyObject *size(PyObject *self) { return NULL; }\n"
        "static PyObject *ok(PyObject *self, PyObject *arg) { return NULL; }\n"
        "static PyMethodDef m[] = {{\"size\", (PyCFunction)size, METH_NOARGS}, {\"ok\", (PyCFunction)ok, METH_O}};\n")
    assert fix_casts.main([str(tmp_path), "m.c"]) == 0
    text = (tmp_path / "m.c").read_text()
    assert "static PyObject *size(PyObject *self, PyObject *Py_UNUSED(unused));" in text
    assert "static PyObject *size(PyObject *self, PyObject *Py_UNUSED(unused)) { return NULL; }" in text
    assert "static PyObject *ok(PyObject *self, PyObject *arg) { return NULL; }" in text
    assert be.cast_signature_warnings(tmp_path, ["m.c"]) == []
    assert "1 function(s) rewritten in 1 file(s)" in capsys.readouterr().err


# ---- the Rust builder ----------------------------------------------------------------------------------

RUST = {"name": "crate", "version": "1.0", "source": {"path": "."}, "rust": {},
        "modules": {"crate._native": {"init": "PyInit__native"}}}


def _rust(tmp_path: Path, **changes) -> Path:
    path = tmp_path / "crate.json"
    path.write_text(json.dumps({**RUST, **changes}))
    return path


def test_a_rust_recipe_builds_one_module_that_cargo_compiles(tmp_path):
    assert br.load_recipe(_rust(tmp_path))["rust"] == {}
    without_rust = {k: v for k, v in RUST.items() if k != "rust"}
    refusals = [
        (without_rust, "rust: required field missing"),
        ({**RUST, "cflags": ["-O2"]}, "cflags: not used by a rust recipe"),
        ({**RUST, "modules": {"a._x": {"init": "PyInit__x"}, "b._y": {"init": "PyInit__y"}}}, "builds one extension module"),
        ({**RUST, "modules": {"crate._native": {"init": "PyInit__native", "sources": ["x.c"]}}}, "cargo builds this module"),
        ({**RUST, "rust": {"lockfile": "Cargo.lock"}}, "rust.lockfile: Cargo.lock not found next to the recipe"),
    ]
    for recipe, message in refusals:
        path = tmp_path / "crate.json"
        path.write_text(json.dumps(recipe))
        with pytest.raises(be.RecipeError, match=message):
            br.load_recipe(path)


def test_the_rust_build_key_follows_the_crate_and_the_compiler_not_cargos_output(tmp_path):
    (tmp_path / "src").mkdir()
    (tmp_path / "src" / "lib.rs").write_text("fn main() {}\n")
    (tmp_path / "runtime").mkdir()
    (tmp_path / "runtime" / "manifest.json").write_text("{}")
    path = _rust(tmp_path)

    def key(rustc="rustc 1.85.1"):
        return br.build_key(path, json.loads(path.read_text()), tmp_path / "runtime", None, True, rustc)

    before = key()
    (tmp_path / "target" / "debug").mkdir(parents=True)
    (tmp_path / "target" / "debug" / "libcrate.a").write_bytes(b"built")
    assert key() == before, "cargo's target/ is output, not input"
    assert key("rustc 1.86.0") != before
    (tmp_path / "src" / "lib.rs").write_text("fn main() { }\n")
    assert key() != before


def test_cargo_runs_with_the_toolchains_tools_and_none_of_the_callers_cargo_settings(tmp_path, monkeypatch):
    monkeypatch.setenv("CARGO_TARGET_DIR", "/elsewhere")
    monkeypatch.setenv("RUSTFLAGS", "-C evil")
    monkeypatch.setenv("PYO3_PYTHON", "/usr/bin/python3")
    env = br.cargo_env(tmp_path / "tc", tmp_path / "cargo-home", {"CARGO_BUILD_JOBS": "2"})
    assert "CARGO_TARGET_DIR" not in env and "RUSTFLAGS" not in env and "PYO3_PYTHON" not in env
    assert env["RUSTC"] == str(tmp_path / "tc" / "bin" / "rustc")
    assert env["PATH"].startswith(str(tmp_path / "tc" / "bin") + ":")
    assert env["CARGO_HOME"] == str(tmp_path / "cargo-home") and env["CARGO_BUILD_JOBS"] == "2"


def test_an_ar_archive_yields_its_members_padded_to_even_offsets():
    def member(name: str, data: bytes) -> bytes:
        header = f"{name:<16}{0:<12}{0:<6}{0:<6}{644:<8}{len(data):<10}`\n".encode()
        return header + data + (b"\n" if len(data) % 2 else b"")

    archive = b"!<arch>\n" + member("a.o/", b"odd") + member("b.o/", b"even")
    assert list(br.archive_members(archive)) == [b"odd", b"even"]
    with pytest.raises(be.BuildError, match="not an ar archive"):
        list(br.archive_members(b"\0asm"))

"""When the recipe builder reuses a build (extensions/build_extension.py build and main), with the compile step
replaced by one that writes a manifest and counts its calls: a build of the same key is copied from the cache,
a changed input builds again, --no-cache and --work-dir always build, and refusals and failures have their own
exit codes."""
from __future__ import annotations

import json
import sys
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parents[3]
sys.path.insert(0, str(REPO / "builder-image" / "extensions"))
import build_extension as be  # noqa: E402

RECIPE = {"name": "demo", "version": "1.0", "source": {"path": "src"},
          "modules": {"demo._c": {"init": "PyInit__c", "sources": ["c.c"]}}}


@pytest.fixture
def builder(tmp_path, monkeypatch):
    """(recipe path, runtime dir, out dir, list of keys the compile step was run with)."""
    monkeypatch.setattr(be, "CACHE", tmp_path / "cache")
    (tmp_path / "src").mkdir()
    (tmp_path / "src" / "c.c").write_text("int x;\n")
    recipe = tmp_path / "demo.json"
    recipe.write_text(json.dumps(RECIPE))
    runtime = tmp_path / "runtime"
    runtime.mkdir()
    (runtime / "manifest.json").write_text('{"key": "rt"}')
    compiled: list[str] = []

    def compile_step(recipe_path, recipe, runtime_dir, out, zig, soabi, asyncify, work_dir, key):
        compiled.append(key)
        out.mkdir(parents=True, exist_ok=True)
        manifest = {"name": recipe["name"], "build_key": key,
                    "modules": {"demo._c": {"file": "demo/_c.so", "size": 4, "init": "PyInit__c"}}}
        (out / "manifest.json").write_text(json.dumps(manifest))
        return manifest

    monkeypatch.setattr(be, "_build", compile_step)
    return recipe, runtime, tmp_path / "out", compiled


def _build(builder, **kw):
    recipe, runtime, out, _ = builder
    return be.build(recipe, runtime, out, Path("zig"), None, **kw)


def test_the_same_inputs_are_built_once_and_then_copied_from_the_cache(builder):
    recipe, runtime, out, compiled = builder
    first = _build(builder)
    (out / "stale-file").write_text("from an older build")
    second = _build(builder)
    assert len(compiled) == 1
    assert second == first
    assert not (out / "stale-file").exists(), "the cached build replaces the output directory"


def test_a_changed_source_builds_again(builder):
    recipe, runtime, out, compiled = builder
    _build(builder)
    (recipe.parent / "src" / "c.c").write_text("int y;\n")
    _build(builder)
    assert len(compiled) == 2 and compiled[0] != compiled[1]


def test_no_cache_and_a_work_dir_always_build_and_keep_cache_false_stores_nothing(builder, tmp_path):
    recipe, runtime, out, compiled = builder
    _build(builder, keep_cache=False)
    assert not (tmp_path / "cache" / "extensions").exists()
    _build(builder)
    _build(builder, use_cache=False)
    _build(builder, work_dir=tmp_path / "work")
    assert len(compiled) == 4


def test_main_says_refused_recipe_failed_build_or_where_the_output_is(builder, tmp_path, capsys):
    recipe, runtime, out, _ = builder
    assert be.main([str(recipe), "--runtime-dir", str(runtime), "--out", str(out)]) == 0
    assert capsys.readouterr().out.strip() == str(out)
    bad = tmp_path / "bad.json"
    bad.write_text(json.dumps({**RECIPE, "version": 1}))
    assert be.main([str(bad), "--runtime-dir", str(runtime), "--out", str(out)]) == 2
    assert "refused recipe" in capsys.readouterr().err
    assert be.main([str(recipe), "--runtime-dir", str(tmp_path / "no-runtime"), "--out", str(out)]) == 1
    assert "no manifest.json in" in capsys.readouterr().err

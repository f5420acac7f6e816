"""Unit tests of the builder's own logic (bundler/pymode_build.py) that need no runtime, no pip and no registry:
input checks, the package index's credentials, recipe closures, extension trees, the metadata wheels that stand in
for what an extension ships, the catalogue request, and how main() turns each failure into an exit code."""
from __future__ import annotations

import json
import shutil
import sys
import urllib.parse
import zipfile
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parents[3]
sys.path.insert(0, str(REPO / "builder-image" / "bundler"))
import pymode_build as b  # noqa: E402


# ---- spec values checked again ------------------------------------------------------------------------------

@pytest.mark.parametrize("value", ["2025-02-30", "20250101", "2025-1-01", "2025-01-01T00:00", ""])
def test_a_compatibility_date_must_be_a_real_date_written_yyyy_mm_dd(value):
    with pytest.raises(b.InvalidInput, match="is not a calendar date YYYY-MM-DD"):
        b.check_compat_date(value)


def test_a_real_compatibility_date_passes_unchanged():
    assert b.check_compat_date("2024-02-29") == "2024-02-29"


@pytest.mark.parametrize("value, rule", [
    ("--index-url=https://evil.example/simple", "pip options are not allowed"),
    ("six\n--extra-index-url x", "tabs and newlines"),
    (" six", "leading or trailing spaces"),
    ("six @ https://example.com/six.whl", "direct references"),
])
def test_a_package_value_pip_could_read_as_anything_but_a_requirement_is_refused(value, rule):
    with pytest.raises(b.InvalidInput, match=rule):
        b.check_requirement(value)


@pytest.mark.parametrize("entry", ["src/entry.py", "app.py", "a/b/c/main.py"])
def test_an_entry_inside_the_project_passes(entry):
    assert b.check_entry(entry) == entry


def test_a_recipe_name_names_a_file_of_the_catalogue_only():
    assert b.check_recipe_name("pydantic-core") == "pydantic-core"
    for bad in ("../etc/passwd", "Upper", "-x", "a/b"):
        with pytest.raises(b.InvalidInput):
            b.check_recipe_name(bad)


# ---- the operator's package index ---------------------------------------------------------------------------

def test_the_index_credentials_reach_pip_url_encoded_in_its_environment(monkeypatch):
    monkeypatch.setenv("PYMODE_PACKAGE_INDEX_URL", "https://old:creds@pypi.example/simple/")
    monkeypatch.setenv("PYMODE_PACKAGE_INDEX_USERNAME", "ci@corp")
    monkeypatch.setenv("PYMODE_PACKAGE_INDEX_PASSWORD", "p:ss/w@rd")
    url = urllib.parse.urlsplit(b.pip_environment()["PIP_INDEX_URL"])
    # the URL's own credentials are replaced, not kept beside the Secret's
    assert url.netloc == "ci%40corp:p%3Ass%2Fw%40rd@pypi.example"
    assert (urllib.parse.unquote(url.username), urllib.parse.unquote(url.password)) == ("ci@corp", "p:ss/w@rd")
    assert url.path == "/simple/"


def test_a_username_alone_gives_no_empty_password(monkeypatch):
    monkeypatch.setenv("PYMODE_PACKAGE_INDEX_URL", "https://pypi.example/simple/")
    monkeypatch.setenv("PYMODE_PACKAGE_INDEX_USERNAME", "token")
    monkeypatch.delenv("PYMODE_PACKAGE_INDEX_PASSWORD", raising=False)
    assert b.pip_environment()["PIP_INDEX_URL"] == "https://token@pypi.example/simple/"


def test_without_an_index_pip_keeps_its_default(monkeypatch):
    monkeypatch.delenv("PYMODE_PACKAGE_INDEX_URL", raising=False)
    monkeypatch.delenv("PIP_INDEX_URL", raising=False)
    assert "PIP_INDEX_URL" not in b.pip_environment()


# ---- recipe closure (the `extension` command) ------------------------------------------------------------

def _recipes(tmp_path: Path, **depends: list[str]) -> Path:
    for name, deps in depends.items():
        (tmp_path / f"{name}.json").write_text(json.dumps({"name": name, "depends": deps}))
    return tmp_path


def test_a_closure_lists_dependencies_before_their_dependents_each_once(tmp_path):
    # top -> (left, right) -> base: base is built once, first
    catalogue = _recipes(tmp_path, top=["left", "right"], left=["base"], right=["base"], base=[])
    order = [e["name"] for e in b.recipe_closure(catalogue, "top")]
    assert order == ["base", "left", "right", "top"]


def test_a_closure_carries_each_recipe_and_its_file(tmp_path):
    catalogue = _recipes(tmp_path, only=[])
    [entry] = b.recipe_closure(catalogue, "only")
    assert entry["path"] == catalogue / "only.json" and entry["recipe"]["name"] == "only"


def test_a_dependency_cycle_is_refused_with_its_chain(tmp_path):
    catalogue = _recipes(tmp_path, a=["b"], b=["c"], c=["a"])
    with pytest.raises(b.BuildError, match=r"recipe dependency cycle: a -> b -> c -> a"):
        b.recipe_closure(catalogue, "a")


def test_a_missing_dependency_names_the_recipe_that_needs_it(tmp_path):
    catalogue = _recipes(tmp_path, a=["ghost"])
    with pytest.raises(b.BuildError, match=r"recipe ghost not found \(needed by a\)"):
        b.recipe_closure(catalogue, "a")


def test_a_recipe_that_is_not_json_is_named(tmp_path):
    (tmp_path / "broken.json").write_text("{")
    with pytest.raises(b.BuildError, match="recipe broken: not valid JSON"):
        b.recipe_closure(tmp_path, "broken")


# ---- extension trees ----------------------------------------------------------------------------------

def _extension(root: Path, files: dict[str, bytes]) -> Path:
    (root / "site").mkdir(parents=True)
    (root / b.EXTENSION_MANIFEST).write_text(json.dumps({"name": root.name, "recipes": []}))
    for rel, data in files.items():
        (root / "site" / rel).parent.mkdir(parents=True, exist_ok=True)
        (root / "site" / rel).write_bytes(data)
    return root


@pytest.fixture
def registry(tmp_path, monkeypatch):
    """Artifacts by ref, pulled by copying: pull_extensions' own checks run on real trees."""
    artifacts: dict[str, Path] = {}
    monkeypatch.setattr(b, "pull", lambda ref, dest: shutil.copytree(artifacts[ref], dest))
    return artifacts


def test_extensions_may_share_a_file_only_byte_identical(tmp_path, registry):
    registry["r/yarl:1"] = _extension(tmp_path / "yarl", {"multidict/__init__.py": b"x = 1\n", "yarl/_q.so": b"A"})
    registry["r/aiohttp:1"] = _extension(tmp_path / "aiohttp", {"multidict/__init__.py": b"x = 1\n"})
    sites = b.pull_extensions(["r/yarl:1", "r/aiohttp:1"], tmp_path / "work")
    assert [s.parent.name for s in sites] == ["0", "1"]
    registry["r/other:1"] = _extension(tmp_path / "other", {"multidict/__init__.py": b"x = 2\n"})
    with pytest.raises(b.BuildError, match=r"r/yarl:1 and r/other:1 both ship multidict/__init__.py"):
        b.pull_extensions(["r/yarl:1", "r/other:1"], tmp_path / "work2")


def test_an_artifact_without_an_extension_manifest_is_refused(tmp_path, registry):
    bundle = tmp_path / "bundle"
    (bundle / "site").mkdir(parents=True)
    registry["r/bundle:1"] = bundle
    with pytest.raises(b.BuildError, match="is not a PyMode extension artifact"):
        b.pull_extensions(["r/bundle:1"], tmp_path / "work")


def test_site_files_are_every_file_in_path_order_and_site_args_put_packages_first(tmp_path):
    site = tmp_path / "site"
    for rel in ("z.py", "a/b.py", "a/__init__.py"):
        (site / rel).parent.mkdir(parents=True, exist_ok=True)
        (site / rel).write_text("")
    (site / "empty-dir").mkdir()
    assert [rel for rel, _ in b.site_files(site)] == ["a/__init__.py", "a/b.py", "z.py"]
    assert b.site_args(site, [tmp_path / "e1", tmp_path / "e2"]) == [
        "--site", str(site), "--site", str(tmp_path / "e1"), "--site", str(tmp_path / "e2")]


def test_a_metadata_wheel_is_a_pure_wheel_pip_accepts_for_the_distribution(tmp_path):
    wheel = b._metadata_wheel("pydantic-core", "2.27.2", tmp_path)
    assert wheel.name == "pydantic_core-2.27.2-py3-none-any.whl" and b._is_pure(wheel.name)
    with zipfile.ZipFile(wheel) as z:
        names = set(z.namelist())
        metadata = z.read("pydantic_core-2.27.2.dist-info/METADATA").decode()
        record = z.read("pydantic_core-2.27.2.dist-info/RECORD").decode().splitlines()
    assert "Name: pydantic-core\nVersion: 2.27.2\n" in metadata
    # RECORD lists every member (itself included), and nothing else: no module files ship from it
    assert {line.split(",")[0] for line in record} == names
    assert all(n.startswith("pydantic_core-2.27.2.dist-info/") for n in names)


def test_only_py3_none_any_wheels_are_pure():
    assert b._is_pure("six-1.17.0-py2.py3-none-any.whl")
    assert not b._is_pure("zstandard-0.25.0-cp313-cp313-manylinux_2_17_x86_64.whl")
    assert not b._is_pure("pydantic_core-2.27.2-cp313-abi3-any.whl")


# ---- the catalogue request -----------------------------------------------------------------------------

@pytest.fixture
def catalogue(tmp_path, monkeypatch):
    (tmp_path / "recipes").mkdir()
    for name, version in (("zstandard", "0.25.0"), ("pydantic-core", "2.27.2"), ("schema", "")):
        (tmp_path / "recipes" / f"{name}.json").write_text(json.dumps({"name": name, "version": version}))
    monkeypatch.setattr(b, "REPO", tmp_path)


def test_the_distributions_in_the_way_are_the_platform_wheels_nothing_provides(catalogue):
    native = {"zstandard": ("0.25.0", "zstandard-0.25.0-cp313-cp313-manylinux_2_17_x86_64.whl"),
              "six": ("1.17.0", "six-1.17.0-py2.py3-none-any.whl"),
              "pydantic-core": ("2.27.2", "pydantic_core-2.27.2-cp313-cp313-manylinux_2_17_x86_64.whl"),
              "numpy": ("2.2.0", "numpy-2.2.0-cp313-cp313-manylinux_2_17_x86_64.whl")}
    assert b._without_pure_wheel(native, provided={"pydantic-core": "2.27.2"}) == [
        {"distribution": "numpy", "wanted": "2.2.0", "recipe": None},
        {"distribution": "zstandard", "wanted": "0.25.0", "recipe": "zstandard"}]


def test_the_catalogue_file_schema_is_no_recipe(catalogue):
    assert b._catalogue_recipes() == {"zstandard": "zstandard", "pydantic-core": "pydantic-core"}


def test_when_recipes_build_every_culprit_the_builder_asks_for_each_recipe_once(catalogue):
    culprits = [{"distribution": "zstandard", "wanted": "0.24.0", "recipe": "zstandard"},
                {"distribution": "zstandard-extra", "wanted": "1", "recipe": "zstandard"}]
    with pytest.raises(b.NeedsRecipes) as e:
        b._refuse("the message", culprits)
    assert e.value.recipes == [{"recipe": "zstandard", "version": "0.25.0", "distribution": "zstandard",
                                "wanted": "0.24.0"}]
    request = e.value.request()
    assert request.startswith(b.NEEDS_RECIPES_PREFIX)
    assert json.loads(request[len(b.NEEDS_RECIPES_PREFIX):])["recipes"] == e.value.recipes


def test_one_culprit_no_recipe_builds_makes_the_whole_refusal_an_input_error(catalogue):
    culprits = [{"distribution": "zstandard", "wanted": "0.25.0", "recipe": "zstandard"},
                {"distribution": "numpy", "wanted": "2.2.0", "recipe": None}]
    with pytest.raises(b.InvalidInput) as e:
        b._refuse("the message", culprits)
    assert not isinstance(e.value, b.NeedsRecipes)
    described = b._describe(culprits)
    assert "`zstandard` builds it" in described and "numpy 2.2.0 publishes no pure-Python wheel (no catalogue" \
        in described


# ---- main(): one exit code per kind of failure ----------------------------------------------------------

@pytest.fixture
def termination_log(tmp_path, monkeypatch) -> Path:
    log = tmp_path / "termination-log"
    monkeypatch.setattr(b, "TERMINATION_LOG", log)
    return log


def test_a_directory_that_is_no_runtime_fails_the_build_with_exit_1(tmp_path, termination_log, capfd):
    status = b.main(["runtime", "--runtime-dir", str(tmp_path), "--push", "127.0.0.1:9/r:t"])
    assert status == 1
    assert "is not a built runtime" in capfd.readouterr().err
    assert termination_log.read_text().startswith("build failed: ")


def test_a_refused_recipe_name_exits_as_an_input_error_before_any_pull(tmp_path, termination_log, monkeypatch):
    monkeypatch.setattr(b, "pull", lambda *a: pytest.fail("pulled before checking the recipe name"))
    status = b.main(["extension", "--source", str(tmp_path), "--recipe", "../x", "--runtime-ref", "r/rt:1",
                     "--push", "127.0.0.1:9/e:t"])
    assert status == b.EXIT_INVALID_INPUT
    assert termination_log.read_text().startswith("invalid input: recipe '../x'")


def test_annotations_are_key_value_pairs_whose_value_may_hold_equals_signs():
    assert b.parse_annotations(["a=1", "b=x=y", "c="]) == {"a": "1", "b": "x=y", "c": ""}
    with pytest.raises(b.BuildError, match="is not KEY=VALUE"):
        b.parse_annotations(["novalue"])


def test_canonical_names_follow_pep_503():
    assert b.canonical_name("Pydantic_Core") == b.canonical_name("pydantic.core") == "pydantic-core"
    assert b.canonical_name("zope..interface") == "zope-interface"

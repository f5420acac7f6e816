"""pkgutil over the stdlib a --stdlib-assets bundle serves from static assets (pymode/_wasi/lazy_stdlib.py), here
natively against a zip and an index like the bundle's: the top level and package directories list the modules the
assets hold beside those the zip still holds. Importing them on python.wasm: worker/test/stdlib-assets.test.ts."""

import pkgutil
import sys
import zipfile

import pytest

from pymode._wasi import lazy_stdlib

# json-like: the package and one module stay in the zip, the rest are assets; assetpkg and top are assets only
INDEX = "\n".join(["assetpkg/__init__.pyc", "pkg/served.pyc", "pkg/sub/__init__.pyc", "pkg/sub/deep.pyc",
                   "top.pyc"]) + "\n"


@pytest.fixture
def zip_path(tmp_path, monkeypatch):
    path = tmp_path / "python313.zip"
    with zipfile.ZipFile(path, "w") as z:
        z.writestr("pkg/__init__.py", "")
        z.writestr("pkg/inzip.py", "WHERE = 'zip'\n")
    monkeypatch.setattr(lazy_stdlib, "ZIP", str(path))
    return str(path)


def test_the_top_level_lists_the_packages_and_modules_of_the_assets():
    finder = lazy_stdlib.StdlibAssetFinder(INDEX)
    assert list(finder.iter_modules()) == [("assetpkg", True), ("top", False)]
    assert list(finder.iter_modules("x.")) == [("x.assetpkg", True), ("x.top", False)]


def test_a_package_directory_lists_its_assets_beside_the_zips_modules(zip_path):
    directory = lazy_stdlib.StdlibAssetFinder(INDEX).path_hook(zip_path + "/pkg")
    assert list(directory.iter_modules()) == [("inzip", False), ("served", False), ("sub", True)]
    assert list(lazy_stdlib.StdlibAssetFinder(INDEX).path_hook(zip_path + "/pkg/sub").iter_modules()) == [
        ("deep", False)]


def test_the_zips_own_modules_are_still_found_through_the_directory(zip_path):
    directory = lazy_stdlib.StdlibAssetFinder(INDEX).path_hook(zip_path + "/pkg")
    assert directory.find_spec("pkg.inzip").origin.endswith("pkg/inzip.py")
    # the asset finder, ahead of the path finder in sys.meta_path, finds the assets
    assert directory.find_spec("pkg.served") is None


@pytest.mark.parametrize("path", ["/elsewhere/pkg", "{zip}/nothing-here", "{zip}"])
def test_other_paths_are_left_to_the_other_hooks(zip_path, path):
    with pytest.raises(ImportError):
        lazy_stdlib.StdlibAssetFinder(INDEX).path_hook(path.format(zip=zip_path))


def test_pkgutil_lists_through_the_hook(zip_path, monkeypatch):
    finder = lazy_stdlib.StdlibAssetFinder(INDEX)
    monkeypatch.setattr(sys, "path_hooks", [finder.path_hook, *sys.path_hooks])
    monkeypatch.setattr(sys, "path_importer_cache", {})
    listed = [(m.name, m.ispkg) for m in pkgutil.iter_modules([zip_path + "/pkg"], "pkg.")]
    assert listed == [("pkg.inzip", False), ("pkg.served", False), ("pkg.sub", True)]

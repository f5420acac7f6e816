"""`pymode add` / `remove` (the pyproject editor) and `install` (pure-Python wheels)."""

import base64
import hashlib
import json
import tomllib
import zipfile

import pytest

from pymode.cli import pyproject
from pymode.cli.errors import CliError
from pymode.cli.main import main

from .conftest import write_files

COMMENTED = """\
# Project file with comments everywhere.
[project]
name = "shop"   # the name
version = "0.1.0"
dependencies = [
    # templating
    "jinja2==3.1.4",  # pinned on purpose
    'attrs>=23',
]
requires-python = ">=3.13"

[tool.pymode]
main = "src/entry.py"  # entry
"""


def test_add_appends_and_keeps_comments_and_layout():
    text, messages = pyproject.add(COMMENTED, ["httpx>=0.27"])
    assert messages == ["added httpx>=0.27"]
    assert text == COMMENTED.replace("    'attrs>=23',\n", "    'attrs>=23',\n    \"httpx>=0.27\",\n")


def test_add_replaces_a_requirement_with_the_same_name_in_place():
    text, messages = pyproject.add(COMMENTED, ["Jinja2>=3.1.5"])
    assert messages == ["replaced jinja2==3.1.4 with Jinja2>=3.1.5"]
    assert '    "Jinja2>=3.1.5",  # pinned on purpose\n' in text
    assert tomllib.loads(text)["project"]["dependencies"] == ["Jinja2>=3.1.5", "attrs>=23"]
    assert pyproject.add(text, ["Jinja2>=3.1.5"]) == (text, ["Jinja2>=3.1.5 is already a dependency"])


def test_remove_deletes_the_line_and_its_comment_only():
    text, messages = pyproject.remove(COMMENTED, ["JINJA2"])
    assert messages == ["removed jinja2==3.1.4"]
    assert text == COMMENTED.replace('    "jinja2==3.1.4",  # pinned on purpose\n', "")
    text, _ = pyproject.remove(text, ["attrs"])
    assert "    # templating\n]" in text
    assert tomllib.loads(text)["project"]["dependencies"] == []
    with pytest.raises(CliError, match="requests is not a dependency"):
        pyproject.remove(text, ["requests"])


def test_missing_dependencies_key_is_inserted_in_the_project_table():
    text = '[project]\nname = "x"\nversion = "1"\n\n# about the tool table\n[tool.pymode]\nmain = "a.py"\n'
    added, _ = pyproject.add(text, ['tomli; python_version < "3.11"', "six"])
    assert added == ('[project]\nname = "x"\nversion = "1"\n'
                     'dependencies = [\'tomli; python_version < "3.11"\', "six"]\n'
                     '\n# about the tool table\n[tool.pymode]\nmain = "a.py"\n')
    removed, _ = pyproject.remove(added, ["tomli"])
    assert 'dependencies = ["six"]\n' in removed


def test_single_line_array_becomes_multi_line_when_long():
    text = '[project]\nname = "x"\nversion = "1"\ndependencies = ["a"]\n'
    long = ["package-with-a-long-name-%d>=1.0" % i for i in range(4)]
    added, _ = pyproject.add(text, long)
    assert added.endswith('dependencies = [\n    "a",\n' + "".join(f'    "{r}",\n' for r in long) + "]\n")


def test_bad_inputs_are_refused_without_changes():
    with pytest.raises(CliError, match="not a requirement"):
        pyproject.add(COMMENTED, ["not a requirement"])
    with pytest.raises(CliError, match="no \\[project\\] table"):
        pyproject.add('[tool.x]\na = 1\n', ["six"])
    with pytest.raises(CliError, match="dynamic"):
        pyproject.add('[project]\nname = "x"\ndynamic = ["dependencies"]\n', ["six"])
    with pytest.raises(CliError, match="not valid TOML"):
        pyproject.edit_dependencies('[project\n', ["six"])


def test_add_and_remove_commands_edit_the_file(tmp_path, capsys):
    project = write_files(tmp_path / "p", {"pyproject.toml": COMMENTED})
    assert main(["add", "six==1.16.0", "idna", "--path", str(project)]) == 0
    deps = tomllib.loads((project / "pyproject.toml").read_text())["project"]["dependencies"]
    assert deps == ["jinja2==3.1.4", "attrs>=23", "six==1.16.0", "idna"]
    assert "# pinned on purpose" in (project / "pyproject.toml").read_text()
    assert main(["remove", "jinja2", "attrs", "--path", str(project)]) == 0
    assert tomllib.loads((project / "pyproject.toml").read_text())["project"]["dependencies"] == ["six==1.16.0",
                                                                                                 "idna"]
    capsys.readouterr()
    assert main(["remove", "nothere", "--path", str(project)]) == 1
    assert "nothere is not a dependency" in capsys.readouterr().err
    assert main(["add", "x y", "--path", str(tmp_path / "p")]) == 1


def _wheel(directory, name, version, tag="py3-none-any", files=None):
    """A minimal valid wheel (what pip needs: METADATA, WHEEL, RECORD)."""
    dist = f"{name}-{version}.dist-info"
    files = dict(files or {f"{name}/__init__.py": f"VERSION = {version!r}\n"})
    files[f"{dist}/METADATA"] = f"Metadata-Version: 2.1\nName: {name}\nVersion: {version}\n"
    files[f"{dist}/WHEEL"] = f"Wheel-Version: 1.0\nGenerator: test\nRoot-Is-Purelib: true\nTag: {tag}\n"
    record = []
    for path, text in files.items():
        digest = base64.urlsafe_b64encode(hashlib.sha256(text.encode()).digest()).rstrip(b"=").decode()
        record.append(f"{path},sha256={digest},{len(text.encode())}")
    record.append(f"{dist}/RECORD,,")
    files[f"{dist}/RECORD"] = "\n".join(record) + "\n"
    path = directory / f"{name}-{version}-{tag}.whl"
    with zipfile.ZipFile(path, "w") as zf:
        for name_, text in files.items():
            zf.writestr(name_, text)
    return path


def test_install_puts_pure_python_wheels_in_the_site_dir_used_by_dev(tmp_path, dev):
    wheels = tmp_path / "wheels"
    wheels.mkdir()
    _wheel(wheels, "tinypkg", "1.2.0")
    project = write_files(tmp_path / "p", {
        "pyproject.toml": '[project]\nname = "p"\nversion = "1"\ndependencies = []\n',
        "src/entry.py": "import tinypkg\ndef on_fetch(request, env):\n    return tinypkg.VERSION\n",
    })
    assert main(["add", "tinypkg==1.2.0", "--path", str(project)]) == 0
    assert main(["install", str(project), "--no-index", "--find-links", str(wheels)]) == 0
    site = project / ".pymode" / "site"
    assert (site / "tinypkg" / "__init__.py").is_file()
    assert json.loads((site / ".pymode-requirements").read_text()) == ["tinypkg==1.2.0"]
    server = dev(project)
    assert server.get("/")[::2] == (200, b"1.2.0")
    assert "not installed" not in server.stderr


def test_install_refuses_platform_wheels_like_the_builder(tmp_path, capsys):
    wheels = tmp_path / "wheels"
    wheels.mkdir()
    _wheel(wheels, "nativepkg", "1.0", tag="cp313-cp313-manylinux_2_17_x86_64")
    project = write_files(tmp_path / "p", {
        "pyproject.toml": '[project]\nname = "p"\nversion = "1"\ndependencies = ["nativepkg"]\n'})
    assert main(["install", str(project), "--no-index", "--find-links", str(wheels)]) == 1
    err = capsys.readouterr().err
    assert "pip download (pure-Python wheels) failed" in err
    assert "Only pure-Python wheels run in python.wasm" in err
    assert not (project / ".pymode" / "site").exists()


def test_dev_warns_when_dependencies_are_not_installed(tmp_path, dev):
    project = write_files(tmp_path / "p", {
        "pyproject.toml": '[project]\nname = "p"\nversion = "1"\ndependencies = ["six"]\n',
        "src/entry.py": "def on_fetch(request, env):\n    return 'ok'\n",
    })
    server = dev(project)
    assert "run `pymode install`" in server.stderr

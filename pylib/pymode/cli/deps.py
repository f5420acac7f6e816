"""`pymode add`, `remove`, `install`: the project's pure-Python dependencies.

They live in `[project] dependencies` of pyproject.toml. `install` resolves
them the way the builder does (wheels only, any platform, CPython 3.13, no
ABI) into `<project>/.pymode/site`, which `pymode dev` puts on sys.path; so a
package that would not build for the edge does not install for dev either.
"""

import json
import os
import shutil
import subprocess
import sys
import tempfile

from . import pyproject
from .errors import CliError
from .project import Project

WASM_TARGET = ["--only-binary=:all:", "--platform", "any", "--python-version", "3.13",
               "--implementation", "py", "--abi", "none"]
SITE_STAMP = ".pymode-requirements"


def _edit(project, change, items, out):
    path = project.pyproject_path
    if not os.path.isfile(path):
        raise CliError(f"{project.root} has no pyproject.toml (create a project with `pymode init`)")
    with open(path, encoding="utf-8", newline="") as f:
        text = f.read()
    new_text, messages = change(text, items)
    if new_text != text:
        tmp = path + ".pymode-tmp"
        with open(tmp, "w", encoding="utf-8", newline="") as f:
            f.write(new_text)
        os.replace(tmp, path)
    for message in messages:
        out(message)
    return new_text


def add(root, requirements, out=print):
    project = Project(root)
    _edit(project, pyproject.add, requirements, out)
    out("Run `pymode install` to use them with `pymode dev`; `pymode deploy` sends them as spec.packages.")


def remove(root, names, out=print):
    project = Project(root)
    _edit(project, pyproject.remove, names, out)


def _pip(args, what):
    argv = [sys.executable, "-m", "pip", "--disable-pip-version-check", "--no-input", *args]
    proc = subprocess.run(argv, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True)
    if proc.returncode != 0:
        tail = "\n".join(proc.stdout.strip().splitlines()[-25:])
        if "No module named pip" in proc.stdout:
            raise CliError(f"pip is not available for {sys.executable}; install it (python -m ensurepip)")
        raise CliError(f"{what} failed (exit {proc.returncode}):\n{tail}")
    return proc.stdout


def install(root, pip_options=(), out=print):
    """Resolve and install the dependencies into .pymode/site (replacing it)."""
    project = Project(root)
    deps = project.dependencies()
    site = project.state_dir("site")
    os.makedirs(project.state_dir(), exist_ok=True)
    staging = tempfile.mkdtemp(prefix="site-", dir=project.state_dir())
    try:
        site_new = os.path.join(staging, "site")
        os.makedirs(site_new)
        if deps:
            wheels = os.path.join(staging, "wheels")
            out(f"Resolving {len(deps)} requirement(s) as pure-Python wheels for CPython 3.13 (the edge target)...")
            try:
                _pip(["download", "--quiet", "-d", wheels, *WASM_TARGET, *pip_options, *deps],
                     "pip download (pure-Python wheels)")
            except CliError as exc:
                raise CliError(f"{exc}\nOnly pure-Python wheels run in python.wasm; C extensions need a "
                               f"PyModeExtension.") from None
            found = sorted(os.path.join(wheels, n) for n in os.listdir(wheels) if n.endswith(".whl"))
            _pip(["install", "--quiet", "--no-deps", "--no-index", "--no-compile", "--target", site_new,
                  *WASM_TARGET, *found], "pip install --target")
            names = [os.path.basename(w) for w in found]
        else:
            names = []
        with open(os.path.join(site_new, SITE_STAMP), "w", encoding="utf-8") as f:
            json.dump(deps, f)
        shutil.rmtree(site, ignore_errors=True)
        os.replace(site_new, site)
    finally:
        shutil.rmtree(staging, ignore_errors=True)
    rel = os.path.relpath(site, os.getcwd())
    if names:
        out(f"Installed {len(names)} wheel(s) into {rel}:")
        for name in names:
            out(f"  {name}")
    else:
        out(f"No dependencies in pyproject.toml; {rel} is empty.")
    return names

"""`pymode init <name>`: a new project in the layout of examples/hello-worker."""

import os

from .errors import CliError
from .project import check_dns_name, dns_name

PYPROJECT = """\
[project]
name = "{name}"
version = "0.1.0"
requires-python = ">=3.13"
dependencies = []

[tool.pymode]
main = "src/entry.py"
"""

ENTRY = '''\
from pymode.workers import Response


def on_fetch(request, env):
    if request.path == "/greet":
        name = request.query.get("name", ["World"])[0]
        return Response(f"Hello, {name}!")
    return Response("Hello from PyMode!")
'''

GITIGNORE = """\
# Local secrets for `pymode dev` (never commit them)
.dev.vars
# Dev server state (KV, R2, D1) and installed packages
.pymode/
__pycache__/
*.pyc
.venv/
"""

WORKER = """\
apiVersion: pymode.dev/v1alpha1
kind: PyModeWorker
metadata:
  name: {worker}
spec:
  source:
    configMapRef:
      name: {worker}-source
  cloudflare:
    workersDev: true
    # compatibilityDate: "YYYY-MM-DD"   # pin it here; unset, the runtime's own default applies
"""

KUSTOMIZATION = """\
# `kubectl apply -k .`: the project files become a ConfigMap (keys use `--` for `/`)
# that the PyModeWorker builds from, so the Python files stay the single source of truth.
# (`pymode deploy` packages every project file without this list.)
apiVersion: kustomize.config.k8s.io/v1beta1
kind: Kustomization
resources:
  - worker.yaml
generatorOptions:
  disableNameSuffixHash: true
configMapGenerator:
  - name: {worker}-source
    files:
      - pyproject.toml
      - src--entry.py=src/entry.py
"""


def init(path, name=None, out=print):
    """Create the project at `path`; returns the list of files written."""
    target = os.path.abspath(path)
    if os.path.exists(target):
        if not os.path.isdir(target):
            raise CliError(f"{path} exists and is not a directory")
        if os.listdir(target):
            raise CliError(f"{path} exists and is not empty; choose a new directory (nothing was changed)")
    project_name = name or os.path.basename(target.rstrip(os.sep))
    worker = check_dns_name(dns_name(project_name), "the worker name derived from the project name")
    if not project_name.replace("-", "").replace("_", "").replace(".", "").isalnum():
        raise CliError(f"project name {project_name!r} may use only letters, digits, '-', '_' and '.'")
    files = {
        "pyproject.toml": PYPROJECT.format(name=project_name),
        "src/entry.py": ENTRY,
        ".gitignore": GITIGNORE,
        "worker.yaml": WORKER.format(worker=worker),
        "kustomization.yaml": KUSTOMIZATION.format(worker=worker),
    }
    for rel, text in files.items():
        file_path = os.path.join(target, *rel.split("/"))
        os.makedirs(os.path.dirname(file_path), exist_ok=True)
        with open(file_path, "x", encoding="utf-8", newline="\n") as f:
            f.write(text)
    out(f"Created {project_name} in {path}:")
    for rel in files:
        out(f"  {rel}")
    out("")
    out("Next:")
    out(f"  cd {path}")
    out("  pymode dev          # http://127.0.0.1:8787, reloads on change")
    out("  pymode deploy       # ConfigMap + PyModeWorker to the current kube context")
    return list(files)

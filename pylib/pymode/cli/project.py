"""A PyMode project on disk: pyproject.toml, worker.yaml, the entry and its files.

The rules match the operator's: the entry is `spec.entry` of the worker, else
`[tool.pymode] main` of pyproject.toml, else `src/entry.py`; ConfigMap keys
are file paths with `--` for `/`.
"""

import ast
import fnmatch
import os
import re

from . import pyproject, yamlio
from .errors import CliError

DEFAULT_ENTRY = "src/entry.py"
WORKER_FILE = "worker.yaml"
DEV_VARS_FILE = ".dev.vars"
STATE_DIR = ".pymode"
API_VERSION = "pymode.dev/v1alpha1"
KIND = "PyModeWorker"
CONFIGMAP_SEPARATOR = "--"
CONFIGMAP_KEY = re.compile(r"^[-._a-zA-Z0-9]+$")
CONFIGMAP_MAX_BYTES = 1024 * 1024 - 16 * 1024  # a ConfigMap is at most 1 MiB, metadata included
DNS_LABEL = re.compile(r"^[a-z0-9]([-a-z0-9]{0,61}[a-z0-9])?$")

# Never packaged: tool state, secrets, virtualenvs, caches, the resources themselves.
_SKIP_DIRS = {"__pycache__", "node_modules", "venv", "env", "build", "dist", "site-packages"}
_SKIP_FILES = {WORKER_FILE, "kustomization.yaml", "kustomization.yml"}
_SKIP_SUFFIXES = (".pyc", ".pyo", ".egg-info")


def dns_name(name):
    """A project name as a Kubernetes/Cloudflare-friendly name (`My_App` -> `my-app`)."""
    return re.sub(r"-+", "-", re.sub(r"[^a-z0-9-]", "-", name.lower())).strip("-")[:63].strip("-")


def check_dns_name(name, what="name"):
    if not DNS_LABEL.match(name):
        raise CliError(f"{what} {name!r} must be 1-63 lowercase letters, digits or '-', "
                       f"starting and ending with a letter or digit")
    return name


class Project:
    """What the CLI knows about a project directory."""

    def __init__(self, root):
        root = os.path.abspath(root)
        if not os.path.isdir(root):
            raise CliError(f"{root} is not a directory")
        self.root = root
        self.pyproject_path = os.path.join(root, "pyproject.toml")
        self.pyproject = pyproject.read(self.pyproject_path) if os.path.isfile(self.pyproject_path) else {}
        self.worker_path = os.path.join(root, WORKER_FILE)
        self.documents = self._read_worker_yaml()
        workers = [d for d in self.documents if isinstance(d, dict) and d.get("kind") == KIND]
        if len(workers) > 1:
            raise CliError(f"{self.worker_path} holds {len(workers)} PyModeWorker resources; keep one per project")
        self.worker = workers[0] if workers else None

    def _read_worker_yaml(self):
        if not os.path.isfile(self.worker_path):
            return []
        with open(self.worker_path, encoding="utf-8") as f:
            text = f.read()
        try:
            docs = yamlio.load_all(text)
        except yamlio.YamlError as exc:
            raise CliError(f"{self.worker_path}: {exc}") from None
        for doc in docs:
            if not isinstance(doc, dict) or "kind" not in doc:
                raise CliError(f"{self.worker_path}: every document must be a Kubernetes resource with a kind")
        if self.documents_have_worker(docs):
            spec = next(d for d in docs if d.get("kind") == KIND).get("spec")
            if not isinstance(spec, dict):
                raise CliError(f"{self.worker_path}: the PyModeWorker has no spec")
        return docs

    @staticmethod
    def documents_have_worker(docs):
        return any(d.get("kind") == KIND for d in docs)

    # --- names, entry, dependencies ------------------------------------------------

    @property
    def project_table(self):
        table = self.pyproject.get("project")
        return table if isinstance(table, dict) else {}

    @property
    def name(self):
        """The project's name: [project] name, else the directory name."""
        name = self.project_table.get("name")
        return name if isinstance(name, str) and name else os.path.basename(self.root)

    def worker_name(self):
        if self.worker is not None:
            name = (self.worker.get("metadata") or {}).get("name")
            if name:
                return name
        name = dns_name(self.name)
        if not name:
            raise CliError(f"cannot derive a resource name from project name {self.name!r}; pass --name")
        return name

    @property
    def spec(self):
        return (self.worker or {}).get("spec") or {}

    def entry(self, override=None):
        """The entry path relative to the root, with '/' separators."""
        entry = override or self.spec.get("entry")
        if not entry:
            tool = (self.pyproject.get("tool") or {}).get("pymode") or {}
            entry = tool.get("main") if isinstance(tool, dict) else None
        entry = entry or DEFAULT_ENTRY
        if not isinstance(entry, str) or not entry.endswith(".py"):
            raise CliError(f"entry {entry!r} must be a path to a .py file")
        return entry.replace(os.sep, "/")

    def entry_path(self, override=None):
        return os.path.normpath(os.path.join(self.root, self.entry(override)))

    def require_entry(self, override=None):
        """The absolute entry path; CliError when the file does not exist."""
        path = self.entry_path(override)
        if not os.path.isfile(path):
            hint = ("pass --entry, or set [tool.pymode] main in pyproject.toml"
                    if override is None else "check --entry")
            raise CliError(f"entry file {self.entry(override)} not found in {self.root} ({hint})")
        return path

    def dependencies(self):
        deps = self.project_table.get("dependencies") or []
        if not isinstance(deps, list) or not all(isinstance(d, str) for d in deps):
            raise CliError(f"{self.pyproject_path}: [project] dependencies must be a list of strings")
        return deps

    def state_dir(self, *parts):
        return os.path.join(self.root, STATE_DIR, *parts)

    # --- checking the entry without running it -------------------------------------

    def check_entry_source(self, override=None):
        """Static checks before deploying: the entry parses and defines on_fetch."""
        path = self.require_entry(override)
        rel = self.entry(override)
        with open(path, "rb") as f:
            source = f.read()
        try:
            tree = ast.parse(source, filename=rel)
        except SyntaxError as exc:
            where = f"{rel}, line {exc.lineno}" if exc.lineno else rel
            line = (exc.text or "").rstrip()
            raise CliError(f"{where}: SyntaxError: {exc.msg}" + (f"\n    {line}" if line else "")) from None
        if not _defines(tree, "on_fetch"):
            raise CliError(f"{rel} defines no on_fetch(request, env) function")

    # --- files to package -----------------------------------------------------------

    def source_files(self):
        """Relative paths ('/'-separated, sorted) of the files that make up the project."""
        ignore = _GitIgnore(os.path.join(self.root, ".gitignore"))
        found = []
        for directory, dirs, files in os.walk(self.root):
            rel_dir = os.path.relpath(directory, self.root)
            rel_dir = "" if rel_dir == "." else rel_dir.replace(os.sep, "/") + "/"
            dirs[:] = sorted(d for d in dirs if not d.startswith(".") and d not in _SKIP_DIRS
                             and not d.endswith(_SKIP_SUFFIXES) and not ignore.match(rel_dir + d, True))
            for name in sorted(files):
                rel = rel_dir + name
                if name.startswith(".") or name.endswith(_SKIP_SUFFIXES) or ignore.match(rel, False):
                    continue
                if not rel_dir and name in _SKIP_FILES:
                    continue
                found.append(rel)
        return sorted(found)

    def configmap_data(self):
        """(data, binaryData) for the source ConfigMap: `--` for `/` in keys."""
        data, binary = {}, {}
        total = 0
        for rel in self.source_files():
            parts = rel.split("/")
            if any(CONFIGMAP_SEPARATOR in p for p in parts):
                raise CliError(f"{rel}: file and directory names containing '--' cannot be packaged "
                               f"('--' stands for '/' in ConfigMap keys)")
            key = CONFIGMAP_SEPARATOR.join(parts)
            if not CONFIGMAP_KEY.match(key):
                raise CliError(f"{rel}: ConfigMap keys allow only letters, digits, '-', '_' and '.'; rename the file "
                               f"or list it in .gitignore")
            with open(os.path.join(self.root, *parts), "rb") as f:
                content = f.read()
            total += len(content)
            try:
                data[key] = content.decode("utf-8")
            except UnicodeDecodeError:
                import base64

                binary[key] = base64.b64encode(content).decode("ascii")
                total += len(content) // 3
        if total > CONFIGMAP_MAX_BYTES:
            raise CliError(f"the project's files add up to {total} bytes, more than a ConfigMap holds (1 MiB); "
                           f"list large files in .gitignore or use a git or OCI source")
        return data, binary


def _defines(tree, name):
    for node in tree.body:
        if isinstance(node, (ast.FunctionDef, ast.AsyncFunctionDef, ast.ClassDef)) and node.name == name:
            return True
        if isinstance(node, ast.Assign) and any(isinstance(t, ast.Name) and t.id == name for t in node.targets):
            return True
        if isinstance(node, (ast.AnnAssign, ast.AugAssign)) and isinstance(node.target, ast.Name) \
                and node.target.id == name:
            return True
        if isinstance(node, (ast.Import, ast.ImportFrom)) and any(
                (alias.asname or alias.name.split(".")[0]) == name or alias.name == "*" for alias in node.names):
            return True
        if isinstance(node, (ast.If, ast.Try)) and _defines(
                ast.Module(body=[*node.body, *getattr(node, "orelse", []),
                                 *[s for h in getattr(node, "handlers", []) for s in h.body],
                                 *getattr(node, "finalbody", [])], type_ignores=[]), name):
            return True
    return False


class _GitIgnore:
    """The simple part of .gitignore: globs, `/`-anchored patterns, `dir/`.
    Negations (`!x`) are not applied, so such files are packaged anyway."""

    def __init__(self, path):
        self.patterns = []
        try:
            with open(path, encoding="utf-8") as f:
                lines = f.read().splitlines()
        except OSError:
            return
        for line in lines:
            line = line.strip()
            if not line or line.startswith(("#", "!")):
                continue
            dir_only = line.endswith("/")
            line = line.rstrip("/")
            anchored = line.startswith("/") or "/" in line
            self.patterns.append((line.lstrip("/"), anchored, dir_only))

    def match(self, rel, is_dir):
        name = rel.rsplit("/", 1)[-1]
        for pattern, anchored, dir_only in self.patterns:
            if dir_only and not is_dir:
                continue
            if fnmatch.fnmatchcase(rel if anchored else name, pattern):
                return True
        return False


def find_project(path):
    """The Project at `path` (default: the current directory)."""
    return Project(path or ".")

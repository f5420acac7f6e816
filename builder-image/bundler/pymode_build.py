#!/usr/bin/env python3
"""The builder a PyMode build runs: as a Kubernetes Job in a cluster, as a local process elsewhere.

    pymode_build.py worker  --source DIR --entry PATH [--package REQ]... --runtime-ref REF | --runtime-dir DIR
                            [--extension REF]... [--catalogue-extension REF]...
                            [--wizer[=on|auto|off]] [--compat-date D] --push REPO:TAG [--annotation K=V]... [--work DIR]
    pymode_build.py runtime --runtime-dir DIR --push REPO:TAG [--annotation K=V]...
    pymode_build.py extension --source DIR --recipe NAME --runtime-ref REF | --runtime-dir DIR
                            --push REPO:TAG [--annotation K=V]... [--work DIR]

`worker` turns a project into a worker bundle (worker/README.md "Bundle format"): resolves pure-Python
packages for the wasm target (wheels, hashes recorded in pymode.lock; a distribution with no pure wheel but a
pure-Python mode, PURE_FALLBACKS, is built from its sdist in that mode unless an extension ships it), bundles project + pylib +
packages + extensions + runtime with worker/scripts/bundle.mjs, pre-initialises it with Wizer when asked (`--wizer
auto`: unless the entry imports a C extension or calls the host while it loads, which no snapshot can hold), and
pushes the bundle as an OCI 1.1 artifact (one layer per file). `runtime` publishes a built runtime directory.
`extension` builds a C-extension recipe and the recipes it depends on (DIR holds `<name>.json` for each and
their `patches/`) into wasm side modules with builder-image/extensions/build_extension.py, and pushes the
merged site tree (side modules + pure-Python files) plus `extension.json` as an extension artifact; a worker
build takes it with `--extension REF`.

Values that come from a resource's spec arrive as one argv element each (`--package=REQ`), are checked again
here (admission already refused them, see crds/) and reach pip only after `--`, so none can become an option.

The result goes to stdout as the last line, JSON: {"ref": "repo@sha256:...", "digest": ..., "files": {...}, and for a
worker with packages "packages": {name: {"version", "from": "wheel" | "sdist, pure-Python mode" | "extension"}},
and for a worker "snapshot": "made" | "off" | "skipped: <why>", also the bundle's dev.pymode.snapshot annotation};
in a pod it is also the container's termination message. Errors exit non-zero with the failing tool's output;
a value the builder refuses exits with EXIT_INVALID_INPUT and one line naming the value and the rule.

When the packages need distributions that publish no pure-Python wheel, that no extension ships and that the
catalogue (recipes/) has a recipe for, every one of them, the build exits with EXIT_NEEDS_RECIPES instead, and its
last line (and termination message) is the machine-readable request (docs/extensions.md, "Catalogue recipes
attached automatically"):

    catalogue recipes needed: {"message": "<the refusal, as EXIT_INVALID_INPUT would print it>",
                               "recipes": [{"recipe": "zstandard", "version": "0.25.0",
                                            "distribution": "zstandard", "wanted": "0.25.0"}, ...]}

(one line; `version` is the recipe's release, `wanted` the release the resolution would take). The operator builds
those recipes as extensions and runs the build again with `--catalogue-extension REF` for each: such an extension
satisfies the resolution like `--extension`, and the log and the result's "packages" say which catalogue recipe
each distribution came from ("from": "catalogue recipe", "recipe": NAME).
"""
from __future__ import annotations

import argparse
import datetime
import hashlib
import json
import os
import re
import shutil
import signal
import subprocess
import sys
import tempfile
import urllib.parse
from pathlib import Path

REPO = Path(os.environ.get("PYMODE_REPO", Path(__file__).resolve().parents[2]))
TERMINATION_LOG = Path("/dev/termination-log")

BUNDLE_ARTIFACT_TYPE = "application/vnd.pymode.worker.bundle.v1"
RUNTIME_ARTIFACT_TYPE = "application/vnd.pymode.runtime.v1"
EXTENSION_ARTIFACT_TYPE = "application/vnd.pymode.extension.v1"
EXTENSION_MANIFEST = "extension.json"
# snapshot.sh's exit status when the entry imports a C extension or calls the host while it loads
SNAPSHOT_IMPOSSIBLE = 3
# on a bundle: "made", "off", or "skipped: <why>" (--wizer auto and no snapshot could be made); the operator shows it
SNAPSHOT_ANNOTATION = "dev.pymode.snapshot"
# The runtime's C headers travel as one directory layer (oras packs it, pull unpacks it): extension builds need them.
RUNTIME_INCLUDE_DIR = "include"
# The runtime's side modules (builder-image/runtime/mkdynload.py): the bundler ships the ones a project can use.
RUNTIME_DYNLOAD_DIR = "lib-dynload"
MEDIA_TYPES = {
    ".wasm": "application/wasm",
    ".so": "application/wasm",  # side modules: wasm under the file name CPython's FileFinder looks for
    ".py": "text/x-python",
    ".js": "application/javascript+module",
    ".json": "application/json",
    ".zip": "application/zip",
    ".pvfs": "application/vnd.pymode.pvfs",
    ".lock": "text/plain",
}
# Fixed so equal inputs give byte-identical manifests (oras would stamp the push time).
CREATED = os.environ.get("PYMODE_ARTIFACT_CREATED", "1970-01-01T00:00:00Z")


# Exit code of a build refused for its input (a spec value): the same input fails again, so the operator does
# not retry it (BuilderCommand.EXIT_INVALID_INPUT on the Java side). argparse's own usage errors exit 2.
EXIT_INVALID_INPUT = 3
# Exit code of a build whose packages need catalogue recipes (NeedsRecipes): the last line says which, as JSON
# (BuilderCommand.EXIT_NEEDS_RECIPES on the Java side).
EXIT_NEEDS_RECIPES = 4
NEEDS_RECIPES_PREFIX = "catalogue recipes needed: "


class BuildError(Exception):
    """A build step failed; the message is what the user sees in the worker's status."""


class InvalidInput(BuildError):
    """A value from the resource's spec that no build can take; the message is one line naming value and rule."""


class NeedsRecipes(InvalidInput):
    """The packages cannot resolve without distributions that catalogue recipes build; `recipes` names them:
    [{"recipe", "version", "distribution", "wanted"}]. Without the recipes attached it is an input error."""

    def __init__(self, message: str, recipes: list[dict]):
        super().__init__(message)
        self.recipes = recipes

    def request(self) -> str:
        """The one line the operator reads (NEEDS_RECIPES_PREFIX + JSON)."""
        return NEEDS_RECIPES_PREFIX + json.dumps({"message": f"invalid input: {self}", "recipes": self.recipes},
                                                 sort_keys=True)


class BuildStopped(Exception):
    """The builder was told to stop (SIGTERM: the Job's deadline passed, or the build was cancelled)."""


def stop_on_sigterm() -> None:
    # In a pod the builder is PID 1, and PID 1 ignores SIGTERM unless it handles it: a Job past its deadline or
    # a cancelled build would run on, and even push, until the kubelet's SIGKILL at the end of the grace period.
    # Raising here unwinds the step in progress; subprocess.run kills the child it waits for.
    def stop(signum, _frame):
        raise BuildStopped(f"stopped by {signal.Signals(signum).name} (the build Job's deadline passed or the "
                           "build was cancelled)")
    signal.signal(signal.SIGTERM, stop)


def log(message: str) -> None:
    print(f"[pymode-build] {message}", file=sys.stderr, flush=True)


def run(argv: list[str], *, cwd: Path | None = None, what: str, env: dict[str, str] | None = None,
        tolerate: tuple[int, ...] = ()) -> str:
    """Runs a program, its output into the build log; a non-zero exit (other than `tolerate`d ones) is a BuildError.
    A tolerated exit raises ToleratedExit carrying the status and output."""
    log("$ " + " ".join(argv))
    proc = subprocess.run(argv, cwd=cwd, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True, env=env)
    sys.stderr.write(proc.stdout)
    if proc.returncode in tolerate:
        raise ToleratedExit(proc.returncode, proc.stdout)
    if proc.returncode != 0:
        tail = "\n".join(proc.stdout.strip().splitlines()[-25:])
        raise BuildError(f"{what} failed (exit {proc.returncode}):\n{tail}")
    return proc.stdout


class ToleratedExit(Exception):
    def __init__(self, status: int, output: str):
        super().__init__(status)
        self.status, self.output = status, output


def oras() -> str:
    return os.environ.get("PYMODE_ORAS") or shutil.which("oras") or "oras"


def oras_flags() -> list[str]:
    # Registries on loopback (tests, the embedded default) speak plain HTTP.
    return ["--plain-http"] if os.environ.get("PYMODE_REGISTRY_PLAIN_HTTP") == "1" else []


def sha256_file(path: Path) -> str:
    h = hashlib.sha256()
    with path.open("rb") as f:
        for chunk in iter(lambda: f.read(1 << 20), b""):
            h.update(chunk)
    return h.hexdigest()


def push(directory: Path, files: list[str], ref: str, artifact_type: str, annotations: dict[str, str]) -> dict:
    """Pushes files (one layer each) as an OCI 1.1 artifact; returns the result record."""
    argv = [oras(), "push", *oras_flags(), ref, "--artifact-type", artifact_type,
            "--annotation", f"org.opencontainers.image.created={CREATED}"]
    for key, value in sorted(annotations.items()):
        argv += ["--annotation", f"{key}={value}"]
    for name in files:
        if (directory / name).is_dir():
            argv.append(name)  # oras packs a directory into one tar+gzip layer and unpacks it on pull
        else:
            argv.append(f"{name}:{MEDIA_TYPES.get(Path(name).suffix, 'application/octet-stream')}")
    out = run(argv, cwd=directory, what="oras push")
    match = re.search(r"Digest:\s*(sha256:[0-9a-f]{64})", out)
    if not match:
        raise BuildError(f"oras push printed no digest:\n{out}")
    repo = ref.rsplit(":", 1)[0] if "@" not in ref else ref.split("@")[0]
    sizes = {name: tree_size(directory / name) for name in files}
    return {"ref": f"{repo}@{match.group(1)}", "digest": match.group(1), "files": sizes,
            "totalBytes": sum(sizes.values())}


def tree_size(path: Path) -> int:
    if path.is_dir():
        return sum(p.stat().st_size for p in path.rglob("*") if p.is_file())
    return path.stat().st_size


def pull(ref: str, dest: Path) -> None:
    dest.mkdir(parents=True, exist_ok=True)
    run([oras(), "pull", *oras_flags(), ref, "-o", str(dest)], what=f"oras pull {ref}")


def _packaging():
    # `packaging` is what pip itself parses requirements with; pip vendors a copy, so the builder needs nothing
    # beyond the pip it runs anyway when the standalone distribution is not installed.
    try:
        from packaging.requirements import InvalidRequirement, Requirement
    except ImportError:
        from pip._vendor.packaging.requirements import InvalidRequirement, Requirement
    return Requirement, InvalidRequirement


def check_requirement(value: str) -> str:
    """A PEP 508 requirement by name from the package index, or InvalidInput naming the value and the rule."""
    Requirement, InvalidRequirement = _packaging()
    if value.startswith("-"):
        raise InvalidInput(f"package {value!r}: pip options are not allowed (the package index is an operator "
                           "setting, chart value builder.packageIndex)")
    if value != value.strip() or any(c.isspace() and c != " " for c in value):
        raise InvalidInput(f"package {value!r}: leading or trailing spaces, tabs and newlines are not allowed")
    try:
        requirement = Requirement(value)
    except InvalidRequirement as e:
        first = str(e).splitlines()[0]
        raise InvalidInput(f"package {value!r} is not a PEP 508 requirement: {first}") from None
    if requirement.url:
        raise InvalidInput(f"package {value!r}: direct references (name @ url) are not allowed, only names from "
                           "the package index")
    if "/" in value or "\\" in value:
        # a '/' passes PEP 508 only inside a marker's literal, and pip never needs one there
        raise InvalidInput(f"package {value!r}: '/' and '\\' are not allowed (no paths or URLs)")
    return value


def check_entry(value: str) -> str:
    """The entry module: a relative path to a .py file inside the project (admission's rule, checked again)."""
    parts = value.split("/")
    if not value.endswith(".py") or value.startswith("/") or "\\" in value or ".." in parts:
        raise InvalidInput(f"entry {value!r} must be a relative path to a .py file without '..'")
    return value


def check_recipe_name(value: str) -> str:
    """A catalogue recipe name, which names a file of the recipe directory (admission's rule, checked again)."""
    if not re.fullmatch(r"[a-z0-9][a-z0-9._-]*", value):
        raise InvalidInput(f"recipe {value!r} must be a catalogue name: lowercase letters, digits, '.', '_' or '-'")
    return value


def check_compat_date(value: str) -> str:
    """The Workers compatibility date: a real calendar date YYYY-MM-DD (admission's rule, checked again)."""
    try:
        datetime.date.fromisoformat(value)
    except ValueError:
        raise InvalidInput(f"compatibility date {value!r} is not a calendar date YYYY-MM-DD") from None
    if len(value) != 10:
        raise InvalidInput(f"compatibility date {value!r} is not a calendar date YYYY-MM-DD")
    return value


def pip_environment() -> dict[str, str]:
    """The environment pip runs in: the operator's package index (chart value builder.packageIndex), if set.

    The operator passes the index as PYMODE_PACKAGE_INDEX_URL and its credentials as PYMODE_PACKAGE_INDEX_USERNAME /
    _PASSWORD (from a Secret). They reach pip as PIP_INDEX_URL in its environment, never in an argv that is logged;
    pip masks the password in what it prints."""
    env = dict(os.environ)
    url = env.get("PYMODE_PACKAGE_INDEX_URL", "")
    if url:
        user = env.get("PYMODE_PACKAGE_INDEX_USERNAME", "")
        password = env.get("PYMODE_PACKAGE_INDEX_PASSWORD", "")
        if user or password:
            parts = urllib.parse.urlsplit(url)
            auth = urllib.parse.quote(user, safe="") + (":" + urllib.parse.quote(password, safe="") if password else "")
            url = urllib.parse.urlunsplit(parts._replace(netloc=f"{auth}@{parts.netloc.rpartition('@')[2]}"))
        env["PIP_INDEX_URL"] = url
    return env


# Wheels python.wasm can run: pure Python, any platform.
PURE_TARGET = ["--only-binary=:all:", "--platform", "any", "--python-version", "3.13",
               "--implementation", "py", "--abi", "none"]
# What CPython 3.13 on Linux would install: the releases a user expects. A pure-only resolution that ends older
# (pip backtracks past a release whose dependency has no pure wheel) or fails is explained against it.
NATIVE_TARGET = ["--only-binary=:all:", *[a for glibc in ("2014", "_2_17", "_2_24", "_2_27", "_2_28", "_2_31", "_2_34")
                                           for a in ("--platform", f"manylinux{glibc}_x86_64")],
                 "--platform", "any", "--python-version", "3.13", "--implementation", "cp",
                 "--abi", "cp313", "--abi", "abi3", "--abi", "none"]


def canonical_name(name: str) -> str:
    """PEP 503 normalised distribution name."""
    return re.sub(r"[-_.]+", "-", name).lower()


def provided_by_extensions(extension_dirs: list[Path]) -> dict[str, str]:
    """Distribution -> version that the worker's extensions ship (every recipe of each extension's closure, and the
    distributions a recipe `provides` besides its own)."""
    provided = {}
    for d in extension_dirs:
        for recipe in json.loads((d / EXTENSION_MANIFEST).read_text()).get("recipes", []):
            if recipe.get("version"):
                provided[canonical_name(recipe["name"])] = recipe["version"]
            for name, version in (recipe.get("provides") or {}).items():
                provided[canonical_name(name)] = version
    return provided


def _metadata_wheel(name: str, version: str, dest: Path) -> Path:
    """A pure wheel holding only metadata: tells pip a distribution is there (an extension ships its files)."""
    import zipfile

    dist = f"{name.replace('-', '_')}-{version}.dist-info"
    path = dest / f"{name.replace('-', '_')}-{version}-py3-none-any.whl"
    files = {f"{dist}/METADATA": f"Metadata-Version: 2.1\nName: {name}\nVersion: {version}\n",
             f"{dist}/WHEEL": "Wheel-Version: 1.0\nGenerator: pymode-build\nRoot-Is-Purelib: true\nTag: py3-none-any\n"}
    files[f"{dist}/RECORD"] = "".join(f"{p},,\n" for p in files) + f"{dist}/RECORD,,\n"
    with zipfile.ZipFile(path, "w") as z:
        for member, text in files.items():
            z.writestr(member, text)
    return path


def _resolution(requirements: list[str], target: list[str], links: list[str], work: Path, label: str):
    """pip's resolution for `target` without downloading: name -> (version, file name), or None when it fails."""
    report = work / f"resolution-{label}.json"
    empty = work / "pip-cwd"
    empty.mkdir(exist_ok=True)
    try:
        output = run([sys.executable, "-m", "pip", "install", "--disable-pip-version-check", "--no-input", "--quiet",
                      "--dry-run", "--ignore-installed", "--target", str(work / f"dry-{label}"), "--report",
                      str(report), *target, *links, "--", *requirements],
                     cwd=empty, env=pip_environment(), what=f"pip install --dry-run ({label} resolution)")
    except BuildError as e:
        return None, str(e)
    chosen = {}
    for item in json.loads(report.read_text())["install"]:
        url = item.get("download_info", {}).get("url", "")
        chosen[canonical_name(item["metadata"]["name"])] = (item["metadata"]["version"],
                                                           urllib.parse.unquote(url.rsplit("/", 1)[-1]))
    return chosen, output


def _is_pure(wheel_file: str) -> bool:
    return wheel_file.endswith("-none-any.whl")


# Distributions that publish no pure-Python wheel but whose sdist builds without its C extension, which the package
# only uses to go faster: it imports its pure-Python implementation when the extension is missing. When no extension
# of the worker ships one, it is built from its sdist in that mode. `env` switches the package's own build to it;
# every build also gets a C compiler that does not exist (CC, CXX), so a setup.py that tries its extension and falls
# back when compiling fails (MarkupSafe's) takes the fallback. `without` is what the worker then lacks. Constants
# only: no spec value reaches these builds except as the package name and version pip resolved, after `--`.
PURE_FALLBACKS = {
    "markupsafe": {"env": {}, "without": "markupsafe._speedups (escape() in pure Python)"},
    "pyyaml": {"env": {"PYYAML_FORCE_LIBYAML": "0"},
               "without": "yaml._yaml, the LibYAML bindings (yaml.CLoader and yaml.CDumper are unavailable)"},
}
NO_C_COMPILER = "pymode-no-c-compiler"
BINARY_SUFFIXES = (".so", ".pyd", ".dylib", ".dll", ".a", ".o")


def _catalogue_recipes() -> dict[str, str]:
    return {canonical_name(p.stem): p.stem for p in (REPO / "recipes").glob("*.json") if p.stem != "schema"}


def build_pure_fallback(name: str, version: str, work: Path) -> dict:
    """Builds `name==version` (a PURE_FALLBACKS entry) from its sdist without its C extension into
    work/fallback-wheels -> {"wheel": Path, "sdist": file name, "sdist_sha256": ...}. BuildError when the sdist still
    builds a platform wheel."""
    import zipfile

    spec = PURE_FALLBACKS[name]
    sdists = work / "sdists" / name
    shutil.rmtree(sdists, ignore_errors=True)
    sdists.mkdir(parents=True)
    empty = work / "pip-cwd"
    empty.mkdir(exist_ok=True)
    run([sys.executable, "-m", "pip", "download", "--disable-pip-version-check", "--no-input", "--no-deps",
         "--no-binary=:all:", "-d", str(sdists), "--", f"{name}=={version}"], cwd=empty, env=pip_environment(),
        what=f"pip download ({name} {version} sdist)")
    found = sorted(p for p in sdists.iterdir() if p.is_file())
    if len(found) != 1:
        raise BuildError(f"pip download of the {name} {version} sdist gave {[p.name for p in found]}, not one sdist")
    sdist = found[0]
    built = work / "fallback-build" / name
    shutil.rmtree(built, ignore_errors=True)
    built.mkdir(parents=True)
    env = {**pip_environment(), "CC": NO_C_COMPILER, "CXX": NO_C_COMPILER, **spec["env"]}
    run([sys.executable, "-m", "pip", "wheel", "--disable-pip-version-check", "--no-input", "--no-deps",
         "--wheel-dir", str(built), "--", str(sdist)], cwd=empty, env=env,
        what=f"pip wheel ({name} {version} from its sdist, without its C extension)")
    wheels = sorted(built.glob("*.whl"))
    if len(wheels) != 1:
        raise BuildError(f"building {sdist.name} gave {[w.name for w in wheels]}, not one wheel")
    wheel = wheels[0]
    with zipfile.ZipFile(wheel) as z:
        binaries = [m for m in z.namelist() if m.endswith(BINARY_SUFFIXES) or ".so." in m]
    if not _is_pure(wheel.name) or binaries:
        raise BuildError(f"{name} {version}: its sdist built {wheel.name}{' with ' + ', '.join(binaries) if binaries else ''} "
                         "even without a C compiler, so it has no pure-Python mode here; a PyModeExtension recipe "
                         "must build it")
    dest = work / "fallback-wheels"
    dest.mkdir(exist_ok=True)
    target = dest / wheel.name
    shutil.copy(wheel, target)
    recipe = _catalogue_recipes().get(name)
    log(f"{name} {version}: no pure-Python wheel; built from its sdist {sdist.name} in pure-Python mode, without "
        f"{spec['without']}" + (f"; a PyModeExtension with recipe: {recipe} in spec.extensions ships the C extension "
                                 "instead" if recipe else ""))
    return {"wheel": target, "sdist": sdist.name, "sdist_sha256": sha256_file(sdist)}


def _without_pure_wheel(native: dict, provided: dict[str, str]) -> list[dict]:
    """The distributions CPython would take as platform wheels and nothing provides, each with the catalogue recipe
    that builds it (or None): [{"distribution", "wanted", "recipe"}], in name order."""
    recipes = _catalogue_recipes()
    return [{"distribution": name, "wanted": version, "recipe": recipes.get(name)}
            for name, (version, wheel) in sorted(native.items()) if not _is_pure(wheel) and name not in provided]


def _describe(culprits: list[dict]) -> str:
    parts = []
    for c in culprits:
        hint = (f"the catalogue recipe `{c['recipe']}` builds it: add a PyModeExtension with recipe: {c['recipe']} "
                "and list it in the worker's spec.extensions") if c["recipe"] else \
            "no catalogue recipe builds it; an inline PyModeExtension recipe can"
        parts.append(f"{c['distribution']} {c['wanted']} publishes no pure-Python wheel ({hint})")
    return "; ".join(parts)


def _refuse(message: str, culprits: list[dict]) -> None:
    """Raises NeedsRecipes when catalogue recipes build every distribution in the way (the operator can attach them),
    else InvalidInput: a distribution no recipe builds cannot be helped by attaching the others."""
    if culprits and all(c["recipe"] for c in culprits):
        needed, seen = [], set()
        for c in culprits:
            if c["recipe"] not in seen:
                seen.add(c["recipe"])
                version = json.loads((REPO / "recipes" / f"{c['recipe']}.json").read_text()).get("version", "")
                needed.append({"recipe": c["recipe"], "version": version, "distribution": c["distribution"],
                               "wanted": c["wanted"]})
        raise NeedsRecipes(message, needed)
    raise InvalidInput(message)


def catalogue_attachments(extension_dirs: list[Path]) -> dict[str, dict]:
    """Distribution -> {"recipe", "version"} for the extensions the operator attached from the catalogue
    (`--catalogue-extension`): which recipe brought each distribution they ship, for the log and the result."""
    attached = {}
    for d in extension_dirs:
        manifest = json.loads((d / EXTENSION_MANIFEST).read_text())
        for name in provided_by_extensions([d]):
            attached[name] = {"recipe": manifest.get("name"), "version": manifest.get("version")}
    return attached


def resolve_packages(requirements: list[str], work: Path, provided: dict[str, str] | None = None,
                     catalogue: dict[str, dict] | None = None) -> Path:
    """Resolves pure-Python wheels for CPython 3.13 (any platform) into a site dir with a hash lock.

    `provided` are the distributions the worker's extensions ship (as side modules): they satisfy dependencies and
    are not installed again. A distribution without a pure wheel that has a pure-Python mode (PURE_FALLBACKS) and
    that no extension ships is built from its sdist in that mode (build_pure_fallback). The newest releases
    CPython 3.13 would take are the ones installed; when a dependency without a pure wheel would make pip settle for
    older releases (or fail), the build stops naming it and the recipe that provides it, instead of downgrading
    silently. Pinning the older release accepts it; when catalogue recipes build every such dependency, the refusal
    is NeedsRecipes, which names them. `catalogue` says which of the `provided` distributions came with a catalogue
    recipe the operator attached (catalogue_attachments). work/packages.json says how each distribution arrived.
    The requirements have passed check_requirement (build_worker checks them before anything else)."""
    provided = provided or {}
    catalogue = catalogue or {}
    site = work / "site"
    site.mkdir(parents=True, exist_ok=True)
    if not requirements:
        return site
    links = []
    if provided:
        # the extensions' releases, as metadata-only wheels both resolutions must take
        wheelhouse = work / "provided"
        shutil.rmtree(wheelhouse, ignore_errors=True)
        wheelhouse.mkdir()
        for name, version in provided.items():
            _metadata_wheel(name, version, wheelhouse)
        constraints = work / "provided-constraints.txt"
        constraints.write_text("".join(f"{name}=={version}\n" for name, version in sorted(provided.items())))
        links = ["--find-links", str(wheelhouse), "--constraint", str(constraints)]
    native, _ = _resolution(requirements, NATIVE_TARGET, links, work, "native")
    # what has no pure wheel but a pure-Python mode, and no extension of the worker ships: built from its sdist
    fallbacks = {}
    for name, (version, wheel) in sorted((native or {}).items()):
        if not _is_pure(wheel) and name not in provided and name in PURE_FALLBACKS:
            fallbacks[name] = dict(build_pure_fallback(name, version, work), version=version)
    if fallbacks:
        constraints = work / "fallback-constraints.txt"
        constraints.write_text("".join(f"{name}=={f['version']}\n" for name, f in sorted(fallbacks.items())))
        links = [*links, "--find-links", str(work / "fallback-wheels"), "--constraint", str(constraints)]
    satisfied = {**provided, **{name: f["version"] for name, f in fallbacks.items()}}
    pure, pip_output = _resolution(requirements, PURE_TARGET, links, work, "pure")
    if pure is None:
        tail = "\n".join(pip_output.strip().splitlines()[-15:])
        culprits = _without_pure_wheel(native, satisfied) if native is not None else []
        if culprits:
            _refuse(f"packages {', '.join(requirements)} cannot run in python.wasm: {_describe(culprits)}", culprits)
        raise BuildError(f"pip could not resolve {', '.join(requirements)} to pure-Python wheels:\n{tail}\n"
                         "Only pure-Python wheels can run in python.wasm; C extensions are built as PyModeExtension "
                         "side modules.")
    if native is not None:
        older = [f"{name} {pure[name][0]} instead of {version}"
                 for name, (version, _) in sorted(native.items())
                 if name in pure and name not in provided and _version(pure[name][0]) < _version(version)]
        if older:
            culprits = _without_pure_wheel(native, satisfied)
            _refuse(f"pure-Python wheels only would install older releases ({', '.join(older)}) because "
                    f"{_describe(culprits) or 'a dependency has no pure-Python wheel'}; "
                    "pin the older releases to accept them", culprits)
    # download exactly what was resolved
    pins = [f"{name}=={version}" for name, (version, _) in sorted(pure.items())
            if name not in provided and name not in fallbacks]
    wheels = work / "wheels"
    empty = work / "pip-cwd"
    if pins:
        run([sys.executable, "-m", "pip", "download", "--disable-pip-version-check", "--no-input", "--no-deps",
             "-d", str(wheels), *PURE_TARGET, "--", *pins], cwd=empty, env=pip_environment(),
            what="pip download (pure-Python wheels for wasm32)")
    found = sorted(wheels.glob("*.whl"))
    built = [fallbacks[name]["wheel"] for name in sorted(fallbacks) if name in pure]
    if found or built:
        run([sys.executable, "-m", "pip", "install", "--disable-pip-version-check", "--no-deps", "--no-index",
             "--no-compile", "--target", str(site), *PURE_TARGET, *map(str, found + built)], what="pip install --target")
    for junk in site.glob("*.dist-info/RECORD"):
        junk.unlink()  # paths + hashes of files we ship anyway; drop for reproducibility
    lock = "".join(f"{w.name} --hash=sha256:{sha256_file(w)}\n" for w in found)
    lock += "".join(f"# {name}=={f['version']} built in pure-Python mode from {f['sdist']} "
                    f"--hash=sha256:{f['sdist_sha256']}\n" for name, f in sorted(fallbacks.items()) if name in pure)
    lock += "".join(f"# {name}=={provided[name]} provided by "
                    + (f"catalogue recipe {catalogue[name]['recipe']}" if name in catalogue else "an extension") + "\n"
                    for name in sorted(pure) if name in provided)
    (work / "pymode.lock").write_text(lock)
    # How each distribution arrives, for the build's result (and the log).
    report = {}
    for name, (version, _) in sorted(pure.items()):
        if name in catalogue:
            report[name] = {"version": provided[name], "from": "catalogue recipe", "recipe": catalogue[name]["recipe"]}
            log(f"attached catalogue recipe {catalogue[name]['recipe']} {catalogue[name]['version']} for "
                f"{name}=={provided[name]}")
        elif name in provided:
            report[name] = {"version": provided[name], "from": "extension"}
        elif name in fallbacks:
            report[name] = {"version": version, "from": "sdist, pure-Python mode",
                            "without": PURE_FALLBACKS[name]["without"]}
        else:
            report[name] = {"version": version, "from": "wheel"}
    (work / "packages.json").write_text(json.dumps(report, sort_keys=True))
    counts = {kind: sum(r["from"] == kind for r in report.values())
              for kind in ("wheel", "sdist, pure-Python mode", "extension", "catalogue recipe")}
    log(f"resolved {counts['wheel']} wheels"
        + (f", {counts['sdist, pure-Python mode']} built in pure-Python mode from sdists ({', '.join(sorted(fallbacks))})"
           if fallbacks else "")
        + (f", {counts['extension']} provided by extensions" if provided else "")
        + (f", {counts['catalogue recipe']} by catalogue recipes the operator attached" if catalogue else ""))
    return site


def _version(text: str):
    try:
        from packaging.version import Version
    except ImportError:
        from pip._vendor.packaging.version import Version
    return Version(text)


# Compiles every .py file of the project (mounted at /app) and prints one line per file that is not valid Python.
SYNTAX_CHECK = """
import pathlib, sys
bad = 0
for p in sorted(pathlib.Path("/app").rglob("*.py")):
    try:
        compile(p.read_bytes(), p.relative_to("/app").as_posix(), "exec", dont_inherit=True)
    except SyntaxError as e:
        print(f"{type(e).__name__}: {e.msg} ({e.filename}, line {e.lineno})")
        bad = 1
sys.exit(bad)
"""


def check_python(source: Path, runtime: Path, work: Path) -> None:
    """Fails the build on invalid Python in the project, with the interpreter's own line (`SyntaxError: ...
    (src/entry.py, line 3)`), instead of a bundle that fails at the edge on its first request. The check runs on
    the runtime's CPython (python.wasm under node's WASI), so it knows the syntax of the Python that will run the
    code, not the builder's."""
    check = work / "syntax-check"
    check.mkdir(parents=True, exist_ok=True)
    (check / "check.py").write_text(SYNTAX_CHECK)
    argv = ["node", "--no-warnings", "--stack-size=4000", str(REPO / "builder-image" / "runtime" / "wasi-run.mjs"),
            "--dir", f"{runtime}::/lib", "--dir", f"{source.resolve()}::/app", "--dir", f"{check}::/check",
            "--env", "PYTHONHOME=/", str(runtime / "python.wasm"), "/check/check.py"]
    log("checking the project's Python with the runtime's interpreter")
    proc = subprocess.run(argv, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True)
    if proc.returncode != 0:
        errors = [line for line in proc.stdout.splitlines() if "Error: " in line]
        raise BuildError("\n".join(errors) if errors else f"python syntax check failed (exit {proc.returncode}):\n"
                         + proc.stdout[-2000:])


def build_worker(args: argparse.Namespace) -> dict:
    work = Path(args.work or tempfile.mkdtemp(prefix="pymode-build-"))
    work.mkdir(parents=True, exist_ok=True)
    source = Path(args.source)
    if not (source / args.entry).is_file():
        raise BuildError(f"entry module {args.entry} not found in the source")
    if args.runtime_ref:
        runtime = work / "runtime"
        pull(args.runtime_ref, runtime)
    else:
        runtime = Path(args.runtime_dir)
    for needed in ("python.wasm", "python313.zip"):
        if not (runtime / needed).is_file():
            raise BuildError(f"runtime has no {needed} ({runtime})")
    check_python(source, runtime, work)
    # the worker's own extensions and the catalogue recipes the operator attached: both satisfy the resolution
    extension_sites = pull_extensions(args.extension + args.catalogue_extension, work)
    attached = extension_sites[len(args.extension):]
    site = resolve_packages(args.package, work, provided_by_extensions([p.parent for p in extension_sites]),
                            catalogue_attachments([p.parent for p in attached]))

    out = work / "bundle"
    shutil.rmtree(out, ignore_errors=True)
    bundler = REPO / "worker" / "scripts" / "bundle.mjs"
    if not (REPO / "worker" / "node_modules" / "esbuild").is_dir():
        raise BuildError(f"{REPO / 'worker'} has no node_modules: run `npm ci` there (the builder image has it)")
    argv = ["node", str(bundler), "--project", str(source), "--runtime", str(runtime), "--pylib",
            str(REPO / "pylib"), *site_args(site, extension_sites), "--entry", args.entry, "--out", str(out)]
    if args.compat_date:
        argv += ["--compat-date", args.compat_date]
    # One python.wasm per upload: the plain build for JSPI, or the asyncified one when a side module needs
    # it (bundle.mjs chooseDriver). Asked first, because a snapshot must start from the same file.
    chosen = json.loads(run(["node", str(bundler), "--choose-driver", "--runtime", str(runtime),
                             *site_args(site, extension_sites)],
                            what="choose the suspension driver (worker/scripts/bundle.mjs)").strip().splitlines()[-1])
    argv += ["--driver", chosen["driver"]]
    if args.stdlib == "assets":
        argv += ["--stdlib-assets"]
    log(f"driver {chosen['driver']} ({chosen['reason']})")
    snapshot_state = "off"
    if args.wizer != "off":
        snapshot = work / "python.wizer.wasm"
        merged_site = work / "site-with-pylib"
        shutil.rmtree(merged_site, ignore_errors=True)
        shutil.copytree(site, merged_site)
        # the extensions' files too, as the bundle maps them at /lib/site: an entry that imports one must meet it
        # (and be refused as SnapshotImpossible), not fail to find it
        for extension_site in extension_sites:
            shutil.copytree(extension_site, merged_site, dirs_exist_ok=True)
        copy_pylib_edge_packages(REPO / "pylib", merged_site)
        stdlib = runtime / "python313.zip"
        if args.stdlib == "assets":
            # the snapshot is made with the zip the bundle will ship and the asset groups beside it
            split = work / "stdlib-split"
            run(["node", str(bundler), "--split-stdlib", str(split), "--stdlib-keep", "init", "--runtime", str(runtime)],
                what="split the stdlib for the snapshot (worker/scripts/bundle.mjs)")
            stdlib = split / "python313.zip"
        try:
            run(["bash", str(REPO / "builder-image" / "runtime" / "snapshot.sh"), "--wasm",
                 str(runtime / chosen["wasm"]), "--stdlib", str(stdlib),
                 *(["--dynload", str(runtime / RUNTIME_DYNLOAD_DIR)] if (runtime / RUNTIME_DYNLOAD_DIR).is_dir() else []),
                 "--site", str(merged_site), "--app", str(source), "--entry", args.entry, "-o", str(snapshot)],
                what="wizer snapshot", tolerate=(SNAPSHOT_IMPOSSIBLE,))
        except ToleratedExit as impossible:
            why = impossible.output.strip().splitlines()[-1].split("IMPOSSIBLE: ", 1)[-1]
            if args.wizer == "on":
                raise BuildError(f"no Wizer snapshot can be made of this worker: {why}. Import it on first use "
                                 "instead, or set spec.wizer: false") from None
            snapshot_state = f"skipped: {why}"
            log(f"building without a Wizer snapshot: {why}")
        else:
            argv += ["--wasm", str(snapshot)]
            snapshot_state = "made"
    run(argv, what="bundle (worker/scripts/bundle.mjs)")
    lock = work / "pymode.lock"
    if lock.exists():
        shutil.copy(lock, out / "pymode.lock")
    # One layer per file, titled by its path in the bundle (side modules are ext/<name>.wasm).
    files = sorted(p.relative_to(out).as_posix() for p in out.rglob("*") if p.is_file())
    annotations = parse_annotations(args.annotation)
    annotations[SNAPSHOT_ANNOTATION] = snapshot_state
    result = push(out, files, args.push, BUNDLE_ARTIFACT_TYPE, annotations)
    result["snapshot"] = snapshot_state
    packages = work / "packages.json"
    if packages.exists():
        # name -> {"version", "from": "wheel" | "sdist, pure-Python mode" | "extension", "without"?}
        result["packages"] = json.loads(packages.read_text())
    return result


# pylib's directories that never run at the edge (native host, CLI, dev server): worker/scripts/bundle.mjs's one list
PYLIB_NATIVE_ONLY_LIST = REPO / "worker" / "scripts" / "pylib-native-only.json"


def copy_pylib_edge_packages(pylib: Path, site: Path) -> None:
    """pylib's packages as worker/scripts/bundle.mjs ships them to the edge (pylibPackages(): each top-level
    directory with an __init__.py, without the native-only directories), into a snapshot's site."""
    native_only = {pylib / rel for rel in json.loads(PYLIB_NATIVE_ONLY_LIST.read_text())}

    def ignore(directory: str, names: list[str]) -> set[str]:
        return {n for n in names if n == "__pycache__" or n.endswith(".pyc") or Path(directory, n) in native_only}

    for package in sorted(p for p in pylib.iterdir() if (p / "__init__.py").is_file()):
        shutil.copytree(package, site / package.name, ignore=ignore)


def site_args(site: Path, extension_sites: list[Path]) -> list[str]:
    """bundle.mjs's --site arguments: the resolved packages, then each extension's site."""
    return [arg for d in (site, *extension_sites) for arg in ("--site", str(d))]


def site_files(site: Path):
    """(relative posix path, file) of every file in a site tree, in path order."""
    for f in sorted(site.rglob("*")):
        if f.is_file():
            yield f.relative_to(site).as_posix(), f


def pull_extensions(refs: list[str], work: Path) -> list[Path]:
    """Pulls extension artifacts; returns their site trees. Two extensions may ship the same file only
    byte-identical (a shared dependency such as multidict under yarl and aiohttp)."""
    sites, owners = [], {}
    for i, ref in enumerate(refs):
        dest = work / "extensions" / str(i)
        shutil.rmtree(dest, ignore_errors=True)
        pull(ref, dest)
        if not (dest / EXTENSION_MANIFEST).is_file():
            raise BuildError(f"{ref} is not a PyMode extension artifact (no {EXTENSION_MANIFEST})")
        site = dest / "site"
        for rel, f in site_files(site):
            digest = sha256_file(f)
            if rel in owners and owners[rel][1] != digest:
                raise BuildError(f"extensions {owners[rel][0]} and {ref} both ship {rel} with different contents")
            owners[rel] = (ref, digest)
        sites.append(site)
    if refs:
        log(f"pulled {len(refs)} extension(s), {len(owners)} files")
    return sites


def recipe_closure(catalogue: Path, name: str) -> list[dict]:
    """The recipe and everything it depends on, dependencies first; a cycle or a missing recipe is an error."""
    order, state = [], {}

    def visit(n: str, chain: tuple[str, ...]) -> None:
        if state.get(n) == "done":
            return
        if state.get(n) == "visiting":
            raise BuildError(f"recipe dependency cycle: {' -> '.join(chain + (n,))}")
        path = catalogue / f"{n}.json"
        if not path.is_file():
            where = f" (needed by {chain[-1]})" if chain else ""
            raise BuildError(f"recipe {n} not found{where}")
        try:
            recipe = json.loads(path.read_text())
        except json.JSONDecodeError as e:
            raise BuildError(f"recipe {n}: not valid JSON: {e}") from None
        state[n] = "visiting"
        for dep in recipe.get("depends", []):
            visit(dep, chain + (n,))
        state[n] = "done"
        order.append({"name": n, "path": path, "recipe": recipe})

    visit(name, ())
    return order


def build_extension(args: argparse.Namespace) -> dict:
    work = Path(args.work or tempfile.mkdtemp(prefix="pymode-ext-"))
    work.mkdir(parents=True, exist_ok=True)
    if args.runtime_ref:
        runtime = work / "runtime"
        pull(args.runtime_ref, runtime)
    else:
        runtime = Path(args.runtime_dir)
    closure = recipe_closure(Path(args.source), args.recipe)
    out = work / "out"
    shutil.rmtree(out, ignore_errors=True)
    site = out / "site"
    site.mkdir(parents=True)
    modules, recipes, owners = {}, [], {}
    for entry in closure:
        built = work / "built" / entry["name"]
        # a `rust` recipe (a PyO3 crate) has its own builder, with the same output layout and manifest
        builder = REPO / "builder-image" / "extensions" / ("build_rust_extension.py" if "rust" in entry["recipe"]
                                                           else "build_extension.py")
        run([sys.executable, str(builder), str(entry["path"]), "--runtime-dir", str(runtime), "--out", str(built)],
            what=f"build of recipe {entry['name']} {entry['recipe'].get('version', '')}".rstrip())
        manifest = json.loads((built / "manifest.json").read_text())
        for rel, f in site_files(built / "site"):
            if rel in owners:
                raise BuildError(f"recipes {owners[rel]} and {entry['name']} both ship {rel}")
            owners[rel] = entry["name"]
            (site / rel).parent.mkdir(parents=True, exist_ok=True)
            shutil.copyfile(f, site / rel)
        for mod, spec in manifest["modules"].items():
            modules[mod] = {**spec, "recipe": entry["name"]}
        recipes.append({**{k: manifest.get(k) for k in ("name", "version", "recipe_sha256", "source_sha256", "patches",
                                                         "warnings", "toolchain", "depends")},
                        # other distributions the recipe's site ships (pydantic-core: typing_extensions)
                        **({"provides": entry["recipe"]["provides"]} if entry["recipe"].get("provides") else {})})
    top = closure[-1]["recipe"]
    extension = {"kind": "pymode-extension", "name": top["name"], "version": top.get("version"),
                 "runtime": manifest["runtime"], "modules": modules, "recipes": recipes,
                 "files": {rel: tree_size(site / rel) for rel in sorted(owners)}}
    (out / EXTENSION_MANIFEST).write_text(json.dumps(extension, indent=2, sort_keys=True) + "\n")
    files = [EXTENSION_MANIFEST] + [f"site/{rel}" for rel in sorted(owners)]
    result = push(out, files, args.push, EXTENSION_ARTIFACT_TYPE, parse_annotations(args.annotation))
    result["modules"] = {mod: spec["init"] for mod, spec in sorted(modules.items())}
    return result


def publish_runtime(args: argparse.Namespace) -> dict:
    runtime = Path(args.runtime_dir).resolve()
    files = [name for name in ("python.wasm", "python-noasync.wasm", "python313.zip", "manifest.json", RUNTIME_INCLUDE_DIR,
                               RUNTIME_DYNLOAD_DIR)
             if (runtime / name).exists()]
    if "python.wasm" not in files or "python313.zip" not in files:
        raise BuildError(f"{runtime} is not a built runtime (needs python.wasm and python313.zip)")
    return push(runtime, files, args.push, RUNTIME_ARTIFACT_TYPE, parse_annotations(args.annotation))


def parse_annotations(pairs: list[str]) -> dict[str, str]:
    annotations = {}
    for pair in pairs:
        key, sep, value = pair.partition("=")
        if not sep:
            raise BuildError(f"annotation {pair!r} is not KEY=VALUE")
        annotations[key] = value
    return annotations


def check_inputs(args: argparse.Namespace) -> None:
    """The values of the command line checked again (admission's rules, schemas/builder-inputs.schema.json), so a
    value no build can take fails at once, before any download: InvalidInput naming the value and the rule."""
    if args.command == "worker":
        check_entry(args.entry)
        for requirement in args.package:
            check_requirement(requirement)
        if args.compat_date:
            check_compat_date(args.compat_date)
    elif args.command == "extension":
        check_recipe_name(args.recipe)
    parse_annotations(args.annotation)


def command_line() -> argparse.ArgumentParser:
    """The builder's command line (the contract with the operator's BuilderCommand: schemas/builder-inputs.schema.json)."""
    parser = argparse.ArgumentParser(prog="pymode_build.py", description=__doc__.splitlines()[0])
    sub = parser.add_subparsers(dest="command", required=True)
    worker = sub.add_parser("worker", help="build and push a worker bundle")
    worker.add_argument("--source", required=True)
    worker.add_argument("--entry", required=True)
    worker.add_argument("--package", action="append", default=[])
    runtime_from = worker.add_mutually_exclusive_group(required=True)
    runtime_from.add_argument("--runtime-ref")
    runtime_from.add_argument("--runtime-dir")
    worker.add_argument("--wizer", nargs="?", const="on", default="off", choices=["off", "auto", "on"],
                        help="a Wizer snapshot of the loaded entry: on (the build fails when none can be made), auto "
                             "(then the bundle goes without one, and the artifact's dev.pymode.snapshot says why)")
    worker.add_argument("--stdlib", default="assets", choices=["assets", "upload"],
                        help="assets (default): the upload keeps only the stdlib an interpreter imports before it serves, "
                             "the rest travels as the Worker's static assets, imported on first use (bundle.json `assets`); "
                             "upload: the whole stdlib zip in the upload")
    worker.add_argument("--compat-date")
    worker.add_argument("--push", required=True)
    worker.add_argument("--annotation", action="append", default=[])
    worker.add_argument("--extension", action="append", default=[],
                        help="an extension artifact (repeatable) whose side modules and files the bundle carries")
    worker.add_argument("--catalogue-extension", action="append", default=[],
                        help="an extension artifact of a catalogue recipe the operator attached because the packages "
                             "need it (repeatable): as --extension, and the log and result name the recipe")
    worker.add_argument("--work")
    extension = sub.add_parser("extension", help="build and push a C-extension side-module artifact")
    extension.add_argument("--source", required=True, help="directory with <name>.json per recipe and their patches")
    extension.add_argument("--recipe", required=True, help="name of the recipe to build (with its depends)")
    extension_runtime = extension.add_mutually_exclusive_group(required=True)
    extension_runtime.add_argument("--runtime-ref")
    extension_runtime.add_argument("--runtime-dir")
    extension.add_argument("--push", required=True)
    extension.add_argument("--annotation", action="append", default=[])
    extension.add_argument("--work")
    runtime = sub.add_parser("runtime", help="publish a built runtime directory")
    runtime.add_argument("--runtime-dir", required=True)
    runtime.add_argument("--push", required=True)
    runtime.add_argument("--annotation", action="append", default=[])
    return parser


def main(argv: list[str] | None = None) -> int:
    args = command_line().parse_args(argv)
    stop_on_sigterm()
    try:
        check_inputs(args)
        commands = {"worker": build_worker, "extension": build_extension, "runtime": publish_runtime}
        result = commands[args.command](args)
    except NeedsRecipes as e:
        # the refusal for a person, then the request for the operator as the last line (and termination message)
        print(f"invalid input: {e}", file=sys.stderr, flush=True)
        request = e.request()
        print(request, file=sys.stderr, flush=True)
        write_termination_message(request if len(request) <= 4000 else
                                  NEEDS_RECIPES_PREFIX + json.dumps({"message": f"invalid input: {e}"[:2000],
                                                                     "recipes": e.recipes}, sort_keys=True))
        return EXIT_NEEDS_RECIPES
    except InvalidInput as e:
        message = f"invalid input: {e}"
        print(message, file=sys.stderr, flush=True)
        write_termination_message(message[:4000])
        return EXIT_INVALID_INPUT
    except BuildError as e:
        message = f"build failed: {e}"
        print(message, file=sys.stderr, flush=True)
        write_termination_message(message[-4000:])
        return 1
    except BuildStopped as e:
        print(f"build {e}", file=sys.stderr, flush=True)
        write_termination_message(f"build {e}")
        return 128 + signal.SIGTERM
    line = json.dumps(result, sort_keys=True)
    write_termination_message(line)
    print(line, flush=True)
    return 0


def write_termination_message(text: str) -> None:
    # Kubernetes shows this file as the container's termination message (kept short: 4 KiB limit).
    if TERMINATION_LOG.parent.is_dir() and os.access(TERMINATION_LOG.parent, os.W_OK):
        try:
            TERMINATION_LOG.write_text(text)
        except OSError:
            pass


if __name__ == "__main__":
    sys.exit(main())

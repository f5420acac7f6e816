"""`pymode deploy`: the project as a ConfigMap plus its PyModeWorker, applied with kubectl.

The ConfigMap holds every project file (keys use `--` for `/`; `.dev.vars`,
`.pymode/`, dot files, caches and .gitignore'd files stay out). The worker
comes from worker.yaml when there is one, else it is generated; either way
`spec.source` points at the ConfigMap and `spec.packages` lists the
dependencies of pyproject.toml. After `kubectl apply`, the worker's
conditions are followed until it is Ready or Stalled.
"""

import copy
import json
import os
import shutil
import subprocess
import sys
import time

from . import yamlio
from .errors import CliError
from .project import API_VERSION, KIND, Project, check_dns_name

MANAGED_BY = {"app.kubernetes.io/managed-by": "pymode-cli"}


def build_resources(root, name=None, namespace=None, wizer=None, entry=None, warn=None):
    """-> list of resource dicts: the source ConfigMap, then the PyModeWorker
    (then any other documents of worker.yaml)."""
    warn = warn or (lambda message: print(f"pymode: warning: {message}", file=sys.stderr))
    project = Project(root)
    project.check_entry_source(entry)
    name = check_dns_name(name or project.worker_name(), "worker name")
    if namespace is not None:
        check_dns_name(namespace, "namespace")
    worker = copy.deepcopy(project.worker) if project.worker is not None else _generated_worker()
    worker["apiVersion"] = worker.get("apiVersion") or API_VERSION
    metadata = worker.setdefault("metadata", {})
    metadata["name"] = name
    if namespace is not None:
        metadata["namespace"] = namespace
    namespace = metadata.get("namespace")  # worker.yaml may name one; the ConfigMap must follow
    spec = worker.setdefault("spec", {})
    source = spec.get("source") or {}
    cm_ref = source.get("configMapRef") if isinstance(source, dict) else None
    configmap_name = (cm_ref or {}).get("name") if project.worker is not None and name == project.worker_name() \
        else None
    configmap_name = configmap_name or f"{name}-source"
    if source and not cm_ref:
        kinds = ", ".join(sorted(source))
        warn(f"worker.yaml takes its source from {kinds}; deploy sends the local files as ConfigMap "
             f"{configmap_name} instead")
    spec["source"] = {"configMapRef": {"name": configmap_name}}
    if entry:
        spec["entry"] = project.entry(entry)
    deps = project.dependencies()
    listed = spec.get("packages")
    if deps:
        if listed and list(listed) != deps:
            warn("worker.yaml spec.packages differs from pyproject.toml dependencies; using pyproject.toml")
        spec["packages"] = deps
    elif listed:
        warn("spec.packages comes from worker.yaml; add them to pyproject.toml (`pymode add`) "
             "to use them with `pymode dev` too")
    if wizer is not None:  # unset: a snapshot whenever one can be made (the operator's default)
        spec["wizer"] = wizer
    data, binary = project.configmap_data()
    configmap = {
        "apiVersion": "v1",
        "kind": "ConfigMap",
        "metadata": {"name": configmap_name, **({"namespace": namespace} if namespace else {}),
                     "labels": {**MANAGED_BY, "pymode.dev/worker": name}},
        "data": data,
    }
    if binary:
        configmap["binaryData"] = binary
    others = []
    for doc in project.documents:
        if doc is project.worker:
            continue
        doc = copy.deepcopy(doc)
        if namespace is not None:
            doc.setdefault("metadata", {})["namespace"] = namespace
        others.append(doc)
    return [configmap, _ordered_worker(worker), *others]


def _generated_worker():
    return {
        "apiVersion": API_VERSION,
        "kind": KIND,
        "metadata": {},
        # no compatibilityDate: the bundle's (the runtime's one default) applies until the user pins one
        "spec": {"cloudflare": {"workersDev": True}},
    }


def _ordered_worker(worker):
    """apiVersion, kind, metadata, spec first (readable output), the rest after."""
    ordered = {key: worker[key] for key in ("apiVersion", "kind", "metadata", "spec") if key in worker}
    ordered.update((k, v) for k, v in worker.items() if k not in ordered and k != "status")
    spec = ordered.get("spec", {})
    first = ("source", "entry", "packages", "extensions", "wizer", "bindings", "cloudflare")
    ordered["spec"] = {**{k: spec[k] for k in first if k in spec}, **{k: v for k, v in spec.items() if k not in first}}
    return ordered


def render(resources, output="yaml"):
    if output == "json":
        return json.dumps({"apiVersion": "v1", "kind": "List", "items": resources}, indent=2) + "\n"
    return yamlio.dump_all(resources)


# --- kubectl ---------------------------------------------------------------------------


class Kubectl:
    def __init__(self, kubeconfig=None, context=None, binary=None):
        self.binary = binary or os.environ.get("PYMODE_KUBECTL") or shutil.which("kubectl")
        if not self.binary:
            raise CliError("kubectl is not installed (or not on PATH); install it, or use --print and apply "
                           "the output yourself")
        self.flags = []
        if kubeconfig:
            self.flags += ["--kubeconfig", kubeconfig]
        if context:
            self.flags += ["--context", context]

    def run(self, args, stdin=None, what="kubectl"):
        argv = [self.binary, *self.flags, *args]
        try:
            proc = subprocess.run(argv, input=stdin, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True,
                                  timeout=120)
        except OSError as exc:
            raise CliError(f"cannot run {self.binary}: {exc}") from None
        except subprocess.TimeoutExpired:
            raise CliError(f"{what} did not finish within 120 s (is the cluster reachable?)") from None
        if proc.returncode != 0:
            message = (proc.stderr or proc.stdout).strip() or f"exit status {proc.returncode}"
            raise CliError(f"{what} failed:\n{message}")
        return proc.stdout


def _condition_line(condition):
    text = f"{condition.get('type')}={condition.get('status')}"
    if condition.get("reason"):
        text += f" {condition['reason']}"
    if condition.get("message"):
        text += f": {condition['message']}"
    return text


def wait(kubectl, name, namespace=None, timeout=300.0, interval=2.0, out=print, sleep=time.sleep,
         clock=time.monotonic):
    """Follow the worker's conditions until Ready or Stalled -> exit status."""
    args = ["get", "pymodeworker", name, "-o", "json"] + (["-n", namespace] if namespace else [])
    deadline = clock() + timeout
    seen = {}
    while True:
        worker = json.loads(kubectl.run(args, what=f"kubectl get pymodeworker {name}"))
        status = worker.get("status") or {}
        generation = (worker.get("metadata") or {}).get("generation")
        current = status.get("observedGeneration") == generation or generation is None
        conditions = {c.get("type"): c for c in status.get("conditions") or [] if isinstance(c, dict)}
        if current:
            for ctype, condition in conditions.items():
                line = _condition_line(condition)
                if seen.get(ctype) != line:
                    seen[ctype] = line
                    out(f"  {line}")
            ready = conditions.get("Ready", {}).get("status") == "True"
            stalled = conditions.get("Stalled", {}).get("status") == "True"
            if ready:
                url = (status.get("deployment") or {}).get("url")
                out(f"{name} is Ready" + (f": {url}" if url else ""))
                return 0
            if stalled:
                condition = conditions["Stalled"]
                raise CliError(f"{name} is Stalled ({condition.get('reason', 'no reason')}): "
                               f"{condition.get('message', '')}".rstrip(": "))
        if clock() >= deadline:
            raise CliError(f"{name} is not Ready after {timeout:g} s; see `kubectl describe pymodeworker {name}`")
        sleep(interval)


def deploy(root, name=None, namespace=None, wizer=None, entry=None, print_only=False, output="yaml",
           kubeconfig=None, context=None, no_wait=False, timeout=300.0, out=print):
    resources = build_resources(root, name=name, namespace=namespace, wizer=wizer, entry=entry)
    text = render(resources, output)
    if print_only:
        sys.stdout.write(text)
        sys.stdout.flush()
        return 0
    kubectl = Kubectl(kubeconfig, context)
    worker_name = resources[1]["metadata"]["name"]
    namespace = resources[1]["metadata"].get("namespace")
    applied = kubectl.run(["apply", "-f", "-"], stdin=render(resources, "yaml"), what="kubectl apply")
    for line in applied.strip().splitlines():
        out(line)
    if no_wait:
        return 0
    out(f"Waiting for pymodeworker/{worker_name} (Ctrl-C stops waiting, not the deployment)...")
    return wait(kubectl, worker_name, namespace, timeout=timeout, out=out)

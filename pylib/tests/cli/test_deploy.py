"""`pymode deploy`: the resources it builds, and how it drives kubectl."""

import json
import shutil
import sys
import textwrap

import pytest
import yaml

from pymode.cli import yamlio
from pymode.cli.main import main

from .conftest import REPO, kubectl_read, write_files

ENTRY = "from pymode.workers import Response\n\ndef on_fetch(request, env):\n    return Response('hi')\n"


def deploy_print(capsys, *args):
    capsys.readouterr()
    status = main(["deploy", "--print", *args])
    captured = capsys.readouterr()
    assert status == 0, captured.err
    return captured.out


def shop_project(tmp_path):
    return write_files(tmp_path / "shop", {
        "pyproject.toml": """\
            [project]
            name = "Shop_App"
            version = "0.1.0"
            dependencies = ["jinja2==3.1.4", "attrs>=23"]

            [tool.pymode]
            main = "src/entry.py"
            """,
        "src/entry.py": ENTRY,
        "src/pkg/__init__.py": "",
        "src/pkg/util.py": "X = 1  \n\ttabbed = 'ok'\n",  # trailing spaces and a tab: quoted, exact
        "templates/page.html": "<p>{{ name }}</p>\n",
        "static/logo.bin": bytes(range(256)),
        ".dev.vars": "API_KEY=never-deployed\n",
        ".pymode/state/kv.sqlite3": b"state",
        "src/__pycache__/entry.cpython-311.pyc": b"\x00",
        "notes.log": "ignored by .gitignore\n",
        ".gitignore": "*.log\n.pymode/\n",
    })


def test_generated_worker_and_configmap(tmp_path, capsys):
    project = shop_project(tmp_path)
    docs = json.loads(deploy_print(capsys, str(project), "-o", "json", "--namespace", "shop-ns", "--wizer"))
    assert (docs["kind"], len(docs["items"])) == ("List", 2)
    configmap, worker = docs["items"]
    assert (configmap["apiVersion"], configmap["kind"]) == ("v1", "ConfigMap")
    assert configmap["metadata"]["name"] == "shop-app-source"
    assert configmap["metadata"]["namespace"] == "shop-ns"
    assert sorted(configmap["data"]) == ["pyproject.toml", "src--entry.py", "src--pkg--__init__.py",
                                         "src--pkg--util.py", "templates--page.html"]
    assert configmap["data"]["src--entry.py"] == ENTRY
    assert configmap["data"]["src--pkg--util.py"] == "X = 1  \n\ttabbed = 'ok'\n"
    assert list(configmap["binaryData"]) == ["static--logo.bin"]
    assert (worker["apiVersion"], worker["kind"]) == ("pymode.dev/v1alpha1", "PyModeWorker")
    assert worker["metadata"] == {"name": "shop-app", "namespace": "shop-ns"}
    assert worker["spec"]["source"] == {"configMapRef": {"name": "shop-app-source"}}
    assert worker["spec"]["packages"] == ["jinja2==3.1.4", "attrs>=23"]
    assert worker["spec"]["wizer"] is True
    assert worker["spec"]["cloudflare"]["workersDev"] is True
    assert "never-deployed" not in json.dumps(docs)


@pytest.mark.parametrize("flags,wizer", [((), "unset"), (("--no-wizer",), False), (("--wizer",), True)])
def test_the_snapshot_is_the_operators_default_unless_a_flag_says(tmp_path, capsys, flags, wizer):
    docs = json.loads(deploy_print(capsys, str(shop_project(tmp_path)), "-o", "json", *flags))
    assert docs["items"][1]["spec"].get("wizer", "unset") == wizer


def test_yaml_output_is_the_same_resources(tmp_path, capsys):
    project = shop_project(tmp_path)
    as_json = json.loads(deploy_print(capsys, str(project), "-o", "json"))["items"]
    text = deploy_print(capsys, str(project))
    assert text.count("\n---\n") == 1
    assert yamlio.load_all(text) == as_json
    assert "  src--entry.py: |\n    from pymode.workers import Response\n" in text
    assert list(yaml.safe_load_all(text)) == as_json
    via_kubectl = kubectl_read(tmp_path / "kustomize", text)
    if via_kubectl is not None:
        by_kind = {d["kind"]: d for d in via_kubectl}
        assert by_kind["ConfigMap"] == as_json[0]
        assert by_kind["PyModeWorker"] == as_json[1]


def test_worker_yaml_is_the_base(tmp_path, capsys):
    project = tmp_path / "api-worker"
    shutil.copytree(REPO / "examples" / "api-worker", project)
    (project / ".dev.vars").write_text("SECRET=x\n")
    configmap, worker = yamlio.load_all(deploy_print(capsys, str(project)))
    (original,) = yamlio.load_all((REPO / "examples/api-worker/worker.yaml").read_text())
    assert worker == original  # same name, source ConfigMap, bindings, cloudflare
    assert configmap["metadata"]["name"] == original["spec"]["source"]["configMapRef"]["name"]
    # The files kustomize would pack, under the same keys.
    (kustomization,) = yamlio.load_all((REPO / "examples/api-worker/kustomization.yaml").read_text())
    keys = sorted(entry.split("=")[0] for entry in kustomization["configMapGenerator"][0]["files"])
    assert sorted(configmap["data"]) == keys

    renamed = yamlio.load_all(deploy_print(capsys, str(project), "--name", "api-two", "--entry", "src/entry.py"))
    assert renamed[1]["metadata"]["name"] == "api-two"
    assert renamed[1]["spec"]["source"] == {"configMapRef": {"name": "api-two-source"}}
    assert renamed[1]["spec"]["entry"] == "src/entry.py"
    assert renamed[1]["spec"]["bindings"] == original["spec"]["bindings"]


def test_worker_yaml_extra_documents_and_other_source_kinds(tmp_path, capsys):
    project = write_files(tmp_path / "p", {
        "src/entry.py": ENTRY,
        "worker.yaml": """\
            apiVersion: v1
            kind: Secret
            metadata: {name: creds}
            stringData: {token: abc}
            ---
            apiVersion: pymode.dev/v1alpha1
            kind: PyModeWorker
            metadata:
              name: p
              namespace: from-yaml
            spec:
              source:
                git: {url: "https://example.com/repo.git"}
              packages: ["old-package"]
            """,
    })
    docs = yamlio.load_all(deploy_print(capsys, str(project), "-n", "team"))
    assert [d["kind"] for d in docs] == ["ConfigMap", "PyModeWorker", "Secret"]
    assert docs[0]["metadata"]["namespace"] == docs[1]["metadata"]["namespace"] == "team"
    assert docs[1]["spec"]["source"] == {"configMapRef": {"name": "p-source"}}
    assert docs[1]["spec"]["packages"] == ["old-package"]
    assert docs[2]["metadata"] == {"name": "creds", "namespace": "team"}
    # Without --namespace, worker.yaml's namespace holds for the ConfigMap too.
    docs = yamlio.load_all(deploy_print(capsys, str(project)))
    assert docs[0]["metadata"]["namespace"] == docs[1]["metadata"]["namespace"] == "from-yaml"


@pytest.mark.parametrize("files, message", [
    ({"pyproject.toml": "[project]\nname = 'x'\nversion = '1'\n"}, "entry file src/entry.py not found"),
    ({"src/entry.py": "def handler(request, env):\n    pass\n"}, "src/entry.py defines no on_fetch"),
    ({"src/entry.py": "def on_fetch(request, env)\n    pass\n"}, "src/entry.py, line 1: SyntaxError"),
    ({"src/entry.py": ENTRY, "src/bad--name.py": ""}, "names containing '--' cannot be packaged"),
    ({"src/entry.py": ENTRY, "worker.yaml": "kind: PyModeWorker\nspec: [\n"}, "worker.yaml"),
])
def test_deploy_refuses_broken_projects(tmp_path, capsys, files, message):
    project = write_files(tmp_path / "p", files)
    assert main(["deploy", "--print", str(project)]) == 1
    captured = capsys.readouterr()
    assert message in captured.err and captured.out == ""


FAKE_KUBECTL = '''\
#!{python}
"""A stand-in for kubectl: records calls, answers `get` from a script of states."""
import json, os, sys
state = os.environ["FAKE_KUBECTL_DIR"]
args = sys.argv[1:]
with open(os.path.join(state, "calls.jsonl"), "a") as f:
    f.write(json.dumps(args) + "\\n")
if "apply" in args:
    data = sys.stdin.read()
    open(os.path.join(state, "applied.yaml"), "w").write(data)
    if os.path.exists(os.path.join(state, "apply-fails")):
        sys.stderr.write('error: the server could not find the requested resource (pymodeworkers.pymode.dev)\\n')
        sys.exit(1)
    print("configmap/x-source configured")
    print("pymodeworker.pymode.dev/x configured")
    sys.exit(0)
if "get" in args:
    states = json.load(open(os.path.join(state, "states.json")))
    counter = os.path.join(state, "counter")
    n = int(open(counter).read()) if os.path.exists(counter) else 0
    open(counter, "w").write(str(n + 1))
    print(json.dumps(states[min(n, len(states) - 1)]))
    sys.exit(0)
sys.exit(2)
'''


def _status(generation, observed, *conditions, url=None):
    worker = {"metadata": {"name": "x", "generation": generation},
              "status": {"observedGeneration": observed,
                         "conditions": [dict(zip(("type", "status", "reason", "message"), c)) for c in conditions]}}
    if url:
        worker["status"]["deployment"] = {"url": url}
    return worker


@pytest.fixture
def fake_kubectl(tmp_path, monkeypatch):
    directory = tmp_path / "kubectl"
    directory.mkdir()
    script = directory / "kubectl"
    script.write_text(FAKE_KUBECTL.format(python=sys.executable))
    script.chmod(0o755)
    monkeypatch.setenv("PYMODE_KUBECTL", str(script))
    monkeypatch.setenv("FAKE_KUBECTL_DIR", str(directory))
    monkeypatch.setattr("pymode.cli.deploy.time.sleep", lambda seconds: None)

    def states(*worker_states):
        (directory / "states.json").write_text(json.dumps(list(worker_states)))

    states.dir = directory
    states.calls = lambda: [json.loads(line) for line in (directory / "calls.jsonl").read_text().splitlines()]
    return states


def test_deploy_applies_and_follows_conditions_until_ready(tmp_path, capsys, fake_kubectl):
    main(["init", str(tmp_path / "x")])
    fake_kubectl(
        _status(2, 1, ("Ready", "True", "Deployed", "old generation")),  # stale: must not count as Ready
        _status(2, 2, ("SourceReady", "True", "Resolved", "2 files"), ("Ready", "False", "Building", "building")),
        _status(2, 2, ("SourceReady", "True", "Resolved", "2 files"), ("Ready", "False", "Building", "building")),
        _status(2, 2, ("SourceReady", "True", "Resolved", "2 files"), ("Ready", "True", "Deployed", "live"),
                url="https://x.example.workers.dev"),
    )
    capsys.readouterr()
    assert main(["deploy", str(tmp_path / "x"), "--kubeconfig", "/tmp/kc", "-n", "demo"]) == 0
    out = capsys.readouterr().out
    assert "pymodeworker.pymode.dev/x configured" in out
    assert "old generation" not in out
    assert out.count("Ready=False Building: building") == 1  # printed when it changes, not every poll
    assert "SourceReady=True Resolved: 2 files" in out
    assert "x is Ready: https://x.example.workers.dev" in out
    calls = fake_kubectl.calls()
    assert calls[0] == ["--kubeconfig", "/tmp/kc", "apply", "-f", "-"]
    assert calls[1] == ["--kubeconfig", "/tmp/kc", "get", "pymodeworker", "x", "-o", "json", "-n", "demo"]
    applied = yamlio.load_all((fake_kubectl.dir / "applied.yaml").read_text())
    assert [d["kind"] for d in applied] == ["ConfigMap", "PyModeWorker"]
    assert applied[1]["metadata"] == {"name": "x", "namespace": "demo"}


def test_deploy_reports_stalled_and_exits_non_zero(tmp_path, capsys, fake_kubectl):
    main(["init", str(tmp_path / "x")])
    fake_kubectl(_status(1, 1, ("SourceReady", "True", "Resolved", "2 files"),
                         ("Stalled", "True", "BuilderUnavailable", "no builder configured")))
    capsys.readouterr()
    assert main(["deploy", str(tmp_path / "x")]) == 1
    err = capsys.readouterr().err
    assert "x is Stalled (BuilderUnavailable): no builder configured" in err


def test_deploy_no_wait_and_timeout(tmp_path, capsys, fake_kubectl):
    main(["init", str(tmp_path / "x")])
    fake_kubectl(_status(1, 1, ("Ready", "False", "Building", "still building")))
    assert main(["deploy", str(tmp_path / "x"), "--no-wait"]) == 0
    assert [c[0] for c in fake_kubectl.calls()] == ["apply"]
    capsys.readouterr()
    assert main(["deploy", str(tmp_path / "x"), "--timeout", "0"]) == 1
    assert "x is not Ready after 0 s" in capsys.readouterr().err


def test_kubectl_apply_failure_shows_kubectls_message(tmp_path, capsys, fake_kubectl):
    main(["init", str(tmp_path / "x")])
    (fake_kubectl.dir / "apply-fails").write_text("")
    capsys.readouterr()
    assert main(["deploy", str(tmp_path / "x")]) == 1
    err = capsys.readouterr().err
    assert "kubectl apply failed:" in err
    assert "the server could not find the requested resource (pymodeworkers.pymode.dev)" in err


def test_missing_kubectl_is_a_clear_error(tmp_path, capsys, monkeypatch):
    main(["init", str(tmp_path / "x")])
    monkeypatch.delenv("PYMODE_KUBECTL", raising=False)
    monkeypatch.setenv("PATH", str(tmp_path / "empty-bin"))
    capsys.readouterr()
    assert main(["deploy", str(tmp_path / "x")]) == 1
    assert "kubectl is not installed" in capsys.readouterr().err


def test_print_output_applies_with_kubectl_style_tools(tmp_path, capsys):
    """The example projects' resources, printed, parse back through kubectl's reader."""
    for example in ("hello-worker", "api-worker"):
        text = deploy_print(capsys, str(REPO / "examples" / example))
        docs = yamlio.load_all(text)
        via_kubectl = kubectl_read(tmp_path / example / "kustomize", text)
        if via_kubectl is not None:
            assert sorted(via_kubectl, key=lambda d: d["kind"]) == sorted(docs, key=lambda d: d["kind"])
        assert textwrap.dedent(docs[0]["data"]["src--entry.py"]) == \
            (REPO / "examples" / example / "src/entry.py").read_text()

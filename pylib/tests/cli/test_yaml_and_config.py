"""The CLI's YAML reading/writing (PyYAML with Kubernetes' rules) and the dev server's bindings configuration."""

import json
import math
import shutil

import jsonschema
import pytest
import yaml

from pymode.cli import yamlio
from pymode.cli.errors import CliError
from pymode.cli.project import Project
from pymode.dev import config

from .conftest import REPO, kubectl_read, worker_yaml, write_files

TRICKY = ["a\nb\n", "a\nb", "a\nb\n\n\n", " x\ny\n", "\nx\n", "\tx\n y\n", "x  \ny\n", "é\u2028\n", "yes", "no",
          "on", "Off", "y", "0.1.0", "1e3", "12:30", "0x1F", "-x", "a: b", "#x", "", " ", "null", "~", "x\r\ny\n",
          "💥\nz\n", "\x00\x07", ".inf", "a'b\"c", "\\", "many\n\n\nblank\nlines\n", "\n\n", "\n", "[x]", "{a}",
          "*alias", "&anchor", "!tag", "@x", "`x", "%x", "key: value\n  nested: 1\n", "--- \n...\n"]


def test_round_trip_of_tricky_strings_and_values():
    doc = {"data": {f"k{i}": text for i, text in enumerate(TRICKY)},
           "list": TRICKY + [1, -2, 2.5, True, False, None, {}, [], {"a": [1, {"b": "c\nd\n"}]}, [["x"], []]],
           "empty": {}, "none": None, "nested": {"deeper": {"x": "y"}}}
    text = yamlio.dump_all([doc, {"second": 1}])
    assert yamlio.load_all(text) == [doc, {"second": 1}]
    assert list(yaml.safe_load_all(text)) == [doc, {"second": 1}]


def test_reads_kubernetes_style_yaml():
    text = """\
# leading comment
apiVersion: v1   # trailing comment
kind: List
items:
- name: "double \\"quoted\\" \\u00e9"
  other: 'single ''quoted'''
  flow: {a: 1, b: [x, "y, z"], c: {d: null}}
  number: 0o17
  hex: 0x1f
  float: 1.5e3
  inf: -.inf
  bool: True
  tilde: ~
  url: http://example.com/a#b
- - nested
  - seq
folded: >
  one
  two

  three
literal: |-
    indented by four
      and more
keep: |+
  kept

---
second: doc
"""
    first, second = yamlio.load_all(text)
    item = first["items"][0]
    assert item["name"] == 'double "quoted" é'
    assert item["other"] == "single 'quoted'"
    assert item["flow"] == {"a": 1, "b": ["x", "y, z"], "c": {"d": None}}
    assert (item["number"], item["hex"], item["float"], item["bool"], item["tilde"]) == (15, 31, 1500.0, True, None)
    assert math.isinf(item["inf"]) and item["inf"] < 0
    assert item["url"] == "http://example.com/a#b"
    assert first["items"][1] == ["nested", "seq"]
    assert first["folded"] == "one two\nthree\n"
    assert first["literal"] == "indented by four\n  and more"
    assert first["keep"] == "kept\n\n"
    assert second == {"second": "doc"}
    # Plain scalars folded over lines (kubectl and kustomize write long strings so).
    assert yamlio.load_all("a: one\n  two\n\n  three\nb:\n- x\n  y\n- |\n  block in a list\n") == [
        {"a": "one two\nthree", "b": ["x y", "block in a list\n"]}]


def test_reads_the_repositorys_resources_like_a_reference_reader(tmp_path):
    references = [lambda text: [d for d in yaml.safe_load_all(text) if d is not None]]
    if shutil.which("kubectl"):
        references.append(lambda text: kubectl_read(tmp_path / f"k{len(list(tmp_path.iterdir()))}", text))
    checked = 0
    paths = list(REPO.glob("examples/*/worker.yaml")) + list(REPO.glob("crds/*.yml"))
    for path in sorted(paths):
        text = path.read_text()
        for reference in references:
            assert yamlio.load_all(text) == reference(text), path
        checked += 1
    assert checked >= 5


@pytest.mark.parametrize("text, message", [
    ("a: 1\na: 2\n", "line 2: duplicate key 'a'"),
    ("a:\n  b: 1\n   c: 2\n", "line 3: mapping values are not allowed here"),
    ("a: [1, 2\n", r"line 2: expected ',' or '\]', but got '<stream end>' \(while parsing a flow sequence on line 1\)"),
    ("a: \"open\n", r"line 2: found unexpected end of stream \(while scanning a quoted scalar on line 1\)"),
    ("a: plain\n  x: 1\n", "line 2: mapping values are not allowed here"),
    ("x: 1\n---\ny: 1\n z: 2\n", "line 4"),
    ("a: !python/name:os.system x\n", "line 1: could not determine a constructor for the tag"),
])
def test_errors_name_the_line(text, message):
    with pytest.raises(yamlio.YamlError, match=message):
        yamlio.load_all(text)


def test_anchors_tags_and_complex_keys_load(tmp_path):
    # The hand-written reader refused these (and fell back to an optional PyYAML); they are plain YAML.
    assert yamlio.load_all("a: &x 1\nb: *x\nc: !!str 1\n? complex\n: key\n") == [
        {"a": 1, "b": 1, "c": "1", "complex": "key"}]
    project = write_files(tmp_path / "p", {
        "src/entry.py": "def on_fetch(request, env):\n    return 'x'\n",
        "worker.yaml": "apiVersion: pymode.dev/v1alpha1\nkind: PyModeWorker\nmetadata: {name: p}\n"
                       "spec:\n  source: &src {configMapRef: {name: p-source}}\n",
    })
    assert Project(project).spec["source"] == {"configMapRef": {"name": "p-source"}}


def test_a_bad_worker_yaml_names_the_file_and_line(tmp_path):
    project = write_files(tmp_path / "p", {"worker.yaml": "kind: PyModeWorker\nspec: {}\nspec: {}\n"})
    with pytest.raises(CliError, match=r"worker\.yaml: line 3: duplicate key 'spec'"):
        Project(project)


def test_parse_dev_vars():
    values = config.parse_dev_vars(
        "# comment\n\nA=1\nexport B = two words  # comment\nC=\"x\\ny \\\"q\\\" #k\"\nD='lit\\n #'\nE=\n"
        "F=\"multi\nline\"\nG=a#b\n")
    assert values == {"A": "1", "B": "two words", "C": 'x\ny "q" #k', "D": "lit\\n #", "E": "", "F": "multi\nline",
                      "G": "a#b"}
    for bad, line in (("A=1\nnot-a-pair\n", 2), ("A=1\n\n# c\n\nB='x' y\n", 5), ("1X=2\n", 1), ('A="open\n', 1), ("A='x' y\n", 1)):
        with pytest.raises(CliError, match=f"line {line}"):
            config.parse_dev_vars(bad)


def test_bindings_from_worker_yaml_dev_vars_and_env(tmp_path):
    project = Project(write_files(tmp_path / "p", {
        "src/entry.py": "",
        "worker.yaml": worker_yaml("""\
            kv: [{name: CACHE, namespace: c}]
            r2: [{name: FILES, bucket: files}]
            d1: [{name: DB, database: db}]
            queues: [{name: JOBS, queue: jobs}]
            services: [{name: AUTH, service: auth-worker}]
            vars: {MODE: production}
            secrets: [{name: TOKEN, secretKeyRef: {name: s, key: k}}, {name: UNSET, secretKeyRef: {name: s, key: u}}]
            """),
    }))
    bindings, warnings = config.build_bindings(project, {"TOKEN": "t", "LOCAL": "l", "MODE": "dev"}, {"X": "1"})
    assert bindings == {
        "CACHE": {"type": "kv"}, "FILES": {"type": "r2"}, "DB": {"type": "d1"},
        "JOBS": {"type": "queue"}, "AUTH": {"type": "service"},
        "MODE": {"type": "var", "value": "dev"}, "TOKEN": {"type": "secret", "value": "t"},
        "LOCAL": {"type": "secret", "value": "l"}, "X": {"type": "var", "value": "1"},
    }
    # the dev server is a host: what it hands env is valid under the contract the edge host's is (schemas/README.md)
    jsonschema.validate(json.loads(config.bindings_json(bindings)),
                        json.loads((REPO / "schemas" / "worker-vars" / "bindings.schema.json").read_text()))
    assert len(warnings) == 1 and "secret UNSET" in warnings[0]
    with pytest.raises(CliError, match="declares as a kv binding"):
        config.build_bindings(project, {}, {"CACHE": "x"})
    with pytest.raises(CliError, match="declares as a queue binding"):
        config.build_bindings(project, {}, {"JOBS": "x"})
    with pytest.raises(CliError, match="KEY=VALUE"):
        config.parse_env_options(["novalue"])

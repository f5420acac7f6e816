"""The dev server writes PYMODE_BINDINGS too (pymode.dev.config): what it hands `env` is valid under
schemas/worker-vars/bindings.schema.json, as the edge host's is (schemas/README.md)."""

import json

import jsonschema

from pymode.cli.project import Project
from pymode.dev import config

from .conftest import REPO, write_files

SCHEMA = json.loads((REPO / "schemas" / "worker-vars" / "bindings.schema.json").read_text())


def test_the_dev_servers_description_is_valid_under_the_schema(tmp_path):
    project = Project(write_files(tmp_path / "p", {
        "src/entry.py": "",
        "worker.yaml": """\
            apiVersion: pymode.dev/v1alpha1
            kind: PyModeWorker
            metadata: {name: p}
            spec:
              source: {configMapRef: {name: p-source}}
              bindings:
                kv: [{name: CACHE, namespace: c}]
                r2: [{name: FILES, bucket: files}]
                d1: [{name: DB, database: db}]
                queues: [{name: JOBS, queue: jobs}]
                services: [{name: AUTH, service: auth-worker}]
                vars: {MODE: production}
                secrets: [{name: TOKEN, secretKeyRef: {name: s, key: k}}]
            """,
    }))
    bindings, _ = config.build_bindings(project, {"TOKEN": "t", "LOCAL": "l"}, {"X": "1"})
    jsonschema.validate(json.loads(config.bindings_json(bindings)), SCHEMA)

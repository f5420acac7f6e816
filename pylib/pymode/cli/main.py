"""The `pymode` command: init, dev, add, remove, install, deploy."""

import argparse
import sys

from .. import __version__
from .errors import CliError


def _parser():
    parser = argparse.ArgumentParser(
        prog="pymode",
        description="Python request handlers on Cloudflare's edge: create, run locally and deploy PyMode workers.",
    )
    parser.add_argument("--version", action="version", version=f"pymode {__version__}")
    sub = parser.add_subparsers(dest="command", metavar="COMMAND", required=True)

    p = sub.add_parser("init", help="create a new project", description="Create a project directory: "
                       "pyproject.toml, src/entry.py, .gitignore, worker.yaml and kustomization.yaml.")
    p.add_argument("name", help="directory to create (its name is the project name)")
    p.add_argument("--name", dest="project_name", help="project name, if not the directory's")

    p = sub.add_parser("dev", help="run the project locally with reload", description="Serve the project's "
                       "on_fetch handler on native Python, through the same request path as python.wasm, "
                       "with local KV/R2/D1 state under .pymode/state.")
    p.add_argument("path", nargs="?", default=".", help="project directory (default: .)")
    p.add_argument("--port", type=int, default=8787, help="port (default 8787; 0 picks a free one)")
    p.add_argument("--host", default="127.0.0.1", help="address to listen on (default 127.0.0.1)")
    p.add_argument("--entry", help="entry file relative to the project (default: [tool.pymode] main or "
                   "src/entry.py)")
    p.add_argument("--env", action="append", default=[], metavar="KEY=VALUE",
                   help="set an env binding (repeatable; overrides worker.yaml and .dev.vars)")
    p.add_argument("--verbose", "-v", action="store_true", help="log every request with its duration")
    p.add_argument("--no-reload", action="store_true", help="do not watch files for changes")
    p.add_argument("--no-cors", action="store_true", help="do not add CORS headers or answer preflights")
    p.add_argument("--state", help="state directory (default: <project>/.pymode/state)")

    p = sub.add_parser("add", help="add dependencies to pyproject.toml",
                       description="Add (or replace) requirements in [project] dependencies.")
    p.add_argument("requirements", nargs="+", metavar="REQUIREMENT", help="e.g. jinja2 or 'jinja2==3.1.4'")
    p.add_argument("--path", default=".", help="project directory (default: .)")

    p = sub.add_parser("remove", help="remove dependencies from pyproject.toml")
    p.add_argument("names", nargs="+", metavar="NAME")
    p.add_argument("--path", default=".", help="project directory (default: .)")

    p = sub.add_parser("install", help="install dependencies for `pymode dev`",
                       description="Install [project] dependencies as pure-Python wheels for CPython 3.13 "
                       "(what the builder does) into <project>/.pymode/site.")
    p.add_argument("path", nargs="?", default=".", help="project directory (default: .)")
    p.add_argument("--index-url", help="package index (pip --index-url)")
    p.add_argument("--find-links", action="append", default=[], help="extra wheel locations (pip --find-links)")
    p.add_argument("--no-index", action="store_true", help="use only --find-links")

    p = sub.add_parser("deploy", help="package the project and apply it with kubectl",
                       description="Package the project into a ConfigMap plus its PyModeWorker and apply them "
                       "to the current kube context, then follow the worker's conditions.")
    p.add_argument("path", nargs="?", default=".", help="project directory (default: .)")
    p.add_argument("--name", help="worker name (default: worker.yaml metadata.name or the project name)")
    p.add_argument("--namespace", "-n", help="namespace (default: the kube context's)")
    p.add_argument("--entry", help="entry file (sets spec.entry)")
    snapshot = p.add_mutually_exclusive_group()
    snapshot.add_argument("--wizer", dest="wizer", action="store_const", const=True, default=None,
                          help="require a Wizer snapshot (spec.wizer: true; by default one is made when it can be)")
    snapshot.add_argument("--no-wizer", dest="wizer", action="store_const", const=False,
                          help="no Wizer snapshot (spec.wizer: false)")
    p.add_argument("--print", dest="print_only", action="store_true", help="print the resources, apply nothing")
    p.add_argument("--output", "-o", choices=("yaml", "json"), default="yaml", help="format for --print")
    p.add_argument("--kubeconfig", help="kubeconfig file for kubectl")
    p.add_argument("--context", help="kube context for kubectl")
    p.add_argument("--no-wait", action="store_true", help="do not wait for the worker to become Ready")
    p.add_argument("--timeout", type=float, default=300.0, help="seconds to wait for Ready (default 300)")
    return parser


def main(argv=None):
    args = _parser().parse_args(argv)
    try:
        if args.command == "init":
            from .init import init

            init(args.name, args.project_name)
        elif args.command == "dev":
            from ..dev import run

            return run(args.path, host=args.host, port=args.port, entry=args.entry, env=args.env,
                       verbose=args.verbose, reload=not args.no_reload, cors=not args.no_cors, state_dir=args.state)
        elif args.command in ("add", "remove"):
            from . import deps

            if args.command == "add":
                deps.add(args.path, args.requirements)
            else:
                deps.remove(args.path, args.names)
        elif args.command == "install":
            from . import deps

            options = (["--index-url", args.index_url] if args.index_url else []) + \
                [o for link in args.find_links for o in ("--find-links", link)] + \
                (["--no-index"] if args.no_index else [])
            deps.install(args.path, options)
        elif args.command == "deploy":
            from .deploy import deploy

            return deploy(args.path, name=args.name, namespace=args.namespace, wizer=args.wizer, entry=args.entry,
                          print_only=args.print_only, output=args.output, kubeconfig=args.kubeconfig,
                          context=args.context, no_wait=args.no_wait, timeout=args.timeout)
    except CliError as exc:
        print(f"pymode: error: {exc}", file=sys.stderr)
        return exc.status
    except KeyboardInterrupt:
        return 130
    return 0


def entry_point():
    sys.exit(main())

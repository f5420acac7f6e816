"""PyMode: Python request handlers on Cloudflare's edge (and natively, for development).

Handler authors use `pymode.workers` (Request, Response, Headers), the `env`
passed to `on_fetch` (`pymode.env`), `pymode.http.fetch` and `pymode.tcp`.
"""

__version__ = "0.1.0"

import sys

if sys.platform == "wasi":
    # First, before pymode imports anything: the stdlib modules a bundle keeps in static assets (issue #13)
    from ._wasi import lazy_stdlib

    lazy_stdlib.install()

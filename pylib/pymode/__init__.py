"""PyMode: Python request handlers on Cloudflare's edge (and natively, for development).

Handler authors use `pymode.workers` (Request, Response, Headers), the `env`
passed to `on_fetch` (`pymode.env`), `pymode.http.fetch` and `pymode.tcp`.
"""

__version__ = "0.1.0"

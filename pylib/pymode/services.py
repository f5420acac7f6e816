"""Service bindings (kind `service`): call another Worker by its binding.

    r = env.AUTH.fetch("https://auth/check", method="POST", body={"token": t})
    r.status, r.json()

`fetch` takes a URL (the host part only matters to the called Worker) or a
`pymode.workers.Request`, and returns a `pymode.http.HttpResponse`.
"""

from .http import fetch_via
from .workers import Request

__all__ = ["Service"]


class Service:
    """A service binding to another Worker."""

    SPEC_FIELD = "services"

    def __init__(self, name):
        self.name = name

    def fetch(self, url_or_request, method="GET", headers=None, body=None, redirect="follow"):
        if isinstance(url_or_request, Request):
            req = url_or_request
            return fetch_via("service", self.name, req.url, req.method, req.headers.to_list(), req.body or None, redirect)
        return fetch_via("service", self.name, url_or_request, method, headers, body, redirect)

    def __repr__(self):
        return f"<Service {self.name}>"

import json
import urllib.error
import urllib.request

import pytest

from pymode import http as pyhttp
from pymode.http import FetchError, fetch

from servers import HttpServer, free_port


@pytest.fixture
def server(host):
    with HttpServer() as srv:
        yield srv


def test_get_returns_status_headers_and_body(server):
    r = fetch(server.url + "/echo?x=1", headers={"X-Trace": "abc"})
    assert r.status == 200 and r.ok and r.status_text == "OK"
    assert r.headers["content-type"] == "application/json"
    assert r.headers.getall("x-multi") == ["one", "two"]
    data = r.json()
    assert data["method"] == "GET" and data["path"] == "/echo?x=1" and data["headers"]["x-trace"] == "abc"
    assert json.loads(r.text) == data and r.body == r.text.encode()
    assert r.text() == r.text and type(r.text()) is str
    assert r.url == server.url + "/echo?x=1"


def test_post_bodies_and_their_content_types(server):
    r = fetch(server.url + "/echo", method="post", body={"a": 1})
    sent = r.json()
    assert sent["method"] == "POST" and sent["body"] == '{"a":1}'
    assert sent["headers"]["content-type"] == "application/json"
    raw = fetch(server.url + "/echo", method="PUT", body=b"\x00\x01", headers={"content-type": "x/y"}).json()
    assert raw["body"] == "\x00\x01" and raw["headers"]["content-type"] == "x/y"


def test_error_statuses_are_responses(server):
    r = fetch(server.url + "/missing")
    assert r.status == 404 and not r.ok and r.json()["path"] == "/missing"


def test_redirects_follow_or_manual(server):
    followed = fetch(server.url + "/redirect")
    assert followed.status == 200 and followed.url == server.url + "/echo?from=redirect"
    manual = fetch(server.url + "/redirect", redirect="manual")
    assert manual.status == 302 and manual.headers["location"] == "/echo?from=redirect"


def test_network_failure_and_bad_urls_raise_fetch_error(host):
    with pytest.raises(FetchError) as info:
        fetch(f"http://127.0.0.1:{free_port()}/")
    assert info.value.status == -4 and isinstance(info.value, ConnectionError)
    with pytest.raises(FetchError) as info:
        fetch("ftp://example.com/file")
    assert info.value.status == -3 and "only http and https" in str(info.value)
    with pytest.raises(FetchError, match="a GET request cannot have a body"):
        fetch("http://127.0.0.1/", body="x")


def test_install_routes_urlopen_through_fetch(server, host, monkeypatch):
    calls = []
    real_fetch = pyhttp.fetch
    monkeypatch.setattr(pyhttp, "fetch", lambda *a, **k: calls.append(a[0]) or real_fetch(*a, **k))
    pyhttp.install()
    try:
        assert urllib.request.urlopen is pyhttp._urlopen
        with urllib.request.urlopen(server.url + "/echo", data=b"a=1") as resp:
            body = json.loads(resp.read())
            assert resp.status == 200 and resp.getheader("Content-Type") == "application/json"
            assert resp.headers.get_all("x-multi") == ["one", "two"] and resp.geturl() == server.url + "/echo"
        assert body["method"] == "POST" and body["headers"]["content-type"] == "application/x-www-form-urlencoded"
        req = urllib.request.Request(server.url + "/echo", method="DELETE", headers={"X-A": "b"})
        assert json.loads(urllib.request.urlopen(req).read())["headers"]["x-a"] == "b"
        with pytest.raises(urllib.error.HTTPError) as info:
            urllib.request.urlopen(server.url + "/missing")
        assert info.value.code == 404 and json.loads(info.value.read())["path"] == "/missing"
        assert calls == [server.url + "/echo", server.url + "/echo", server.url + "/missing"]
    finally:
        pyhttp.uninstall()
    assert urllib.request.urlopen is not pyhttp._urlopen

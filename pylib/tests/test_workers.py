import json

import pytest

from pymode.workers import Headers, Request, Response


def test_headers_are_case_insensitive_and_multi_valued():
    h = Headers({"Content-Type": "text/plain"})
    h.append("Set-Cookie", "a=1")
    h.append("set-cookie", "b=2")
    assert h.get("content-type") == "text/plain" and h["CONTENT-TYPE"] == "text/plain"
    assert "Content-type" in h and "x-missing" not in h
    assert h.getall("SET-COOKIE") == ["a=1", "b=2"]
    assert h.get("set-cookie") == "a=1, b=2"
    assert h.items() == [("content-type", "text/plain"), ("set-cookie", "a=1"), ("set-cookie", "b=2")]
    assert list(h) == ["content-type", "set-cookie"] and len(h) == 2
    h.set("Set-Cookie", "c=3")
    assert h.getall("set-cookie") == ["c=3"]
    del h["set-cookie"]
    assert h.get("set-cookie", "none") == "none"
    with pytest.raises(KeyError):
        h["set-cookie"]
    assert Headers([("X-A", "1"), ["x-b", 2]]).to_list() == [["x-a", "1"], ["x-b", "2"]]


@pytest.mark.parametrize("init, error, message", [
    ({"bad name": "x"}, ValueError, "invalid header name"),
    ({"x-a": "line\r\nbreak"}, ValueError, "must not contain CR, LF"),
    ({"x-a": 1.5}, TypeError, "must be str or int"),
    ([("only-name",)], TypeError, r"must be a \(name, value\) pair"),
    ("x-a: 1", TypeError, "not a string"),
])
def test_headers_validation(init, error, message):
    with pytest.raises(error, match=message):
        Headers(init)


def test_request_parses_path_query_and_body():
    req = Request("post", "https://example.com/api/items?name=Ada&tag=a&tag=b&empty=",
                  [("Content-Type", "application/json; charset=utf-8")], b'{"n": 1}')
    assert req.method == "POST" and req.path == "/api/items"
    assert req.query == {"name": ["Ada"], "tag": ["a", "b"], "empty": [""]}
    assert req.headers["content-type"].startswith("application/json")
    assert req.json() == {"n": 1} and req.text() == '{"n": 1}' and req.bytes() == b'{"n": 1}'
    latin = Request("POST", "http://x/", {"content-type": "text/plain; charset=latin-1"}, "é".encode("latin-1"))
    assert latin.text() == "é"
    with pytest.raises(ValueError, match="request body is not valid JSON"):
        Request("POST", "http://x/", None, b"{nope").json()
    assert Request(url="http://x").path == "/"


def test_response_content_type_follows_body_type():
    assert Response("hi").headers["content-type"] == "text/plain; charset=utf-8"
    assert Response("hi").body == b"hi"
    assert Response(b"\x00").headers["content-type"] == "application/octet-stream"
    assert Response({"a": [1]}).headers["content-type"] == "application/json"
    assert Response({"a": [1]}).body == b'{"a":[1]}'
    empty = Response(None, status=204)
    assert empty.body == b"" and "content-type" not in empty.headers
    custom = Response("<b>x</b>", headers={"Content-Type": "text/html"})
    assert custom.headers.getall("content-type") == ["text/html"]


def test_response_json_and_redirect():
    r = Response.json({"ok": True, "name": "Zoë"}, status=201, headers={"x-a": "1"})
    assert r.status == 201 and json.loads(r.body) == {"ok": True, "name": "Zoë"}
    assert r.headers["content-type"] == "application/json" and r.headers["x-a"] == "1"
    assert Response.json("plain").body == b'"plain"'
    redirect = Response.redirect("/login", status=303)
    assert redirect.status == 303 and redirect.headers["location"] == "/login" and redirect.body == b""
    with pytest.raises(ValueError, match="redirect status must be one of"):
        Response.redirect("/x", status=200)


@pytest.mark.parametrize("kwargs, error, message", [
    ({"status": 99}, ValueError, "between 200 and 599"),
    ({"status": 600}, ValueError, "between 200 and 599"),
    ({"status": "200"}, TypeError, "status must be an int"),
    ({"status": True}, TypeError, "status must be an int"),
    ({"body": 42}, TypeError, "Response body must be str, bytes, dict, list or None, not int"),
    ({"body": {"when": object()}}, TypeError, "Response body is not JSON-serialisable"),
])
def test_response_validation(kwargs, error, message):
    with pytest.raises(error, match=message):
        Response(**{"body": "x", **kwargs})


def test_response_json_rejects_non_serialisable_values():
    with pytest.raises(TypeError, match="Response.json body is not JSON-serialisable: .*set"):
        Response.json({1, 2})

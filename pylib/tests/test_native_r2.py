import datetime
import hashlib

import pytest

from pymode.env import R2Error


def test_put_get_head_and_metadata(env):
    bucket = env.BUCKET
    before = datetime.datetime.now(datetime.timezone.utc)
    put = bucket.put("docs/a.json", {"x": 1}, custom_metadata={"owner": "ada"})
    assert put.key == "docs/a.json" and put.size == 7 and put.body is None
    assert put.etag == hashlib.md5(b'{"x":1}').hexdigest() and put.http_etag == f'"{put.etag}"'
    assert abs((put.uploaded - before).total_seconds()) < 5
    obj = bucket.get("docs/a.json")
    assert obj.body == b'{"x":1}' and obj.json() == {"x": 1} and obj.text() == '{"x":1}'
    assert obj.http_metadata == {"contentType": "application/json"}
    assert obj.custom_metadata == {"owner": "ada"}
    head = bucket.head("docs/a.json")
    assert head.size == 7 and head.body is None and head.etag == put.etag
    with pytest.raises(ValueError, match="has no body"):
        head.text()
    assert bucket.get("nope") is None and bucket.head("nope") is None


def test_explicit_http_metadata_and_bytes(env):
    obj = env.BUCKET.put("img.png", b"\x89PNG", http_metadata={"contentType": "image/png", "cacheControl": "max-age=60"})
    assert obj.http_metadata == {"contentType": "image/png", "cacheControl": "max-age=60"}
    assert env.BUCKET.get("img.png").bytes() == b"\x89PNG"
    with pytest.raises(R2Error, match=r"unknown httpMetadata field\(s\) \['colour'\]"):
        env.BUCKET.put("x", "y", http_metadata={"colour": "red"})
    with pytest.raises(R2Error, match=r"customMetadata\['n'\] must be a string"):
        env.BUCKET.put("x", "y", custom_metadata={"n": 1})


def test_delete_one_or_many(env):
    bucket = env.BUCKET
    for key in ("a", "b", "c"):
        bucket.put(key, key)
    bucket.delete("a")
    bucket.delete(["b", "missing"])
    assert [o.key for o in bucket.list().objects] == ["c"]
    with pytest.raises(R2Error) as info:
        bucket.delete([str(i) for i in range(1001)])
    assert info.value.status == -5


def test_list_with_prefix_delimiter_limit_and_cursor(env):
    bucket = env.BUCKET
    for key in ["photos/2024/a.jpg", "photos/2024/b.jpg", "photos/2025/c.jpg", "photos/readme", "videos/x", "z"]:
        bucket.put(key, "data")
    listing = bucket.list(prefix="photos/", delimiter="/")
    assert [o.key for o in listing.objects] == ["photos/readme"]
    assert listing.delimited_prefixes == ["photos/2024/", "photos/2025/"] and listing.truncated is False
    top = bucket.list(delimiter="/")
    assert [o.key for o in top.objects] == ["z"] and top.delimited_prefixes == ["photos/", "videos/"]
    # Paging: folders and objects both count, and a cursor never repeats an entry.
    seen_prefixes, seen_objects, cursor = [], [], None
    for _ in range(10):  # bounded: a cursor bug must fail, not hang
        page = bucket.list(prefix="photos/", delimiter="/", limit=1, cursor=cursor)
        seen_prefixes += page.delimited_prefixes
        seen_objects += [o.key for o in page.objects]
        if not page.truncated:
            break
        cursor = page.cursor
    else:
        pytest.fail("paging never finished")
    assert seen_prefixes == ["photos/2024/", "photos/2025/"] and seen_objects == ["photos/readme"]
    flat = bucket.list(limit=4)
    assert [o.key for o in flat.objects] == ["photos/2024/a.jpg", "photos/2024/b.jpg", "photos/2025/c.jpg", "photos/readme"]
    assert flat.truncated and [o.key for o in bucket.list(cursor=flat.cursor).objects] == ["videos/x", "z"]


def test_key_limits(env):
    with pytest.raises(R2Error) as info:
        env.BUCKET.put("k" * 1025, "v")
    assert info.value.status == -5
    with pytest.raises(R2Error) as info:
        env.BUCKET.get("")
    assert info.value.status == -3

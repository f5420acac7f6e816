"""`js.JSON.stringify` writes what JavaScript's does, replacers and indentation included (code written for
Cloudflare's Python Workers calls it through the `js` module)."""

from js import JSON


def test_compact_by_default():
    assert JSON.stringify({"a": [1, None, "x"]}) == '{"a":[1,null,"x"]}'


def test_a_replacer_function_sees_the_root_then_every_member_with_its_key():
    seen = []

    def replacer(key, value):
        seen.append(key)
        return value * 10 if isinstance(value, int) else value

    assert JSON.stringify({"a": 1, "b": [2, {"c": 3}]}, replacer) == '{"a":10,"b":[20,{"c":30}]}'
    assert seen == ["", "a", "b", "0", "1", "c"]


def test_a_replaced_value_is_walked_in_place_of_the_original():
    def replacer(key, value):
        return {"wrapped": value} if key == "a" else value

    assert JSON.stringify({"a": 1}, replacer) == '{"a":{"wrapped":1}}'


def test_a_replacer_list_keeps_those_properties_in_its_order_at_every_depth():
    value = {"b": 1, "a": {"a": 2, "z": 3}, "z": 4}
    assert JSON.stringify(value, ["a", "b"]) == '{"a":{"a":2},"b":1}'
    assert JSON.stringify([{"id": 1, "secret": "x"}], ["id"]) == '[{"id":1}]'


def test_space_indents_as_javascript_clamps_it():
    assert JSON.stringify({"a": 1}, None, 2) == '{\n  "a": 1\n}'
    assert JSON.stringify({"a": 1}, None, 0) == '{"a":1}'
    assert JSON.stringify({"a": 1}, None, 20) == '{\n' + " " * 10 + '"a": 1\n}'
    assert JSON.stringify({"a": 1}, None, "--") == '{\n--"a": 1\n}'

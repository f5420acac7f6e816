"""Reading pyproject.toml (tomllib) and editing `[project] dependencies` in place.

The editor changes only the text of the `dependencies` array (or inserts the
key when it is missing) and keeps everything else byte for byte: comments,
formatting, other tables. Every edit is checked by parsing the result with
tomllib: the dependencies must be exactly the intended list and every other
value unchanged, otherwise nothing is written.
"""

import re
import tomllib

from .errors import CliError

# PEP 508: a name, optional [extras], then version specifiers, a URL or markers.
_NAME = re.compile(r"^\s*([A-Za-z0-9](?:[A-Za-z0-9._-]*[A-Za-z0-9])?)\s*(\[[^\]]*\])?")
_REQUIREMENT_REST = re.compile(r"^\s*(@\s*\S+\s*)?((===|==|!=|~=|<=|>=|<|>)\s*[^,;\s]+\s*(,\s*(===|==|!=|~=|<=|>=|<|>)"
                               r"\s*[^,;\s]+\s*)*)?(\(.*\))?\s*(;.*)?$")


def normalize_name(name):
    """PEP 503 normalised project name."""
    return re.sub(r"[-_.]+", "-", name).lower()


def requirement_name(requirement):
    """The normalised project name of a PEP 508 requirement, or CliError."""
    match = _NAME.match(requirement)
    if not match:
        raise CliError(f"{requirement!r} is not a requirement (expected e.g. 'jinja2' or 'jinja2==3.1.4')")
    return normalize_name(match.group(1))


def check_requirement(requirement):
    """A cleaned-up requirement string, or CliError saying what is wrong."""
    requirement = requirement.strip()
    if not requirement or "\n" in requirement or len(requirement) > 256:
        raise CliError(f"{requirement!r} is not a requirement: it must be one line of at most 256 characters")
    match = _NAME.match(requirement)
    if not match or not _REQUIREMENT_REST.match(requirement[match.end():]):
        raise CliError(f"{requirement!r} is not a requirement (expected e.g. 'jinja2', 'jinja2==3.1.4', "
                       f"'httpx[http2]>=0.27' or 'tomli; python_version < \"3.11\"')")
    return requirement


def read(path):
    """The parsed pyproject.toml, with a clear error when it is not TOML."""
    try:
        with open(path, "rb") as f:
            return tomllib.load(f)
    except FileNotFoundError:
        raise CliError(f"{path} does not exist") from None
    except tomllib.TOMLDecodeError as exc:
        raise CliError(f"{path} is not valid TOML: {exc}") from None


# --- the editor ---------------------------------------------------------------------

_TABLE = re.compile(r"^[ \t]*\[\s*([^\[\]]+?)\s*\][ \t]*(#.*)?$")
_ARRAY_TABLE = re.compile(r"^[ \t]*\[\[")
_DEPS_KEY = re.compile(r"^[ \t]*(dependencies|\"dependencies\"|'dependencies')[ \t]*=[ \t]*", re.M)


class _Item:
    __slots__ = ("start", "end", "value")

    def __init__(self, start, end, value):
        self.start, self.end, self.value = start, end, value


def _project_table(text):
    """(start, end) character offsets of the [project] table body, or None."""
    offset = 0
    start = None
    for line in text.splitlines(keepends=True):
        match = _TABLE.match(line.rstrip("\r\n"))
        is_header = match is not None or _ARRAY_TABLE.match(line)
        if is_header and start is not None:
            return start, offset
        if match and match.group(1).strip() == "project":
            start = offset + len(line)
        offset += len(line)
    return (start, len(text)) if start is not None else None


def _scan_array(text, pos):
    """Parse the array starting at text[pos] == '['; -> (items, end after ']')."""
    assert text[pos] == "["
    items = []
    i = pos + 1
    while i < len(text):
        c = text[i]
        if c in " \t\r\n,":
            i += 1
        elif c == "#":
            while i < len(text) and text[i] != "\n":
                i += 1
        elif c == "]":
            return items, i + 1
        elif c in "\"'":
            end = _string_end(text, i)
            items.append(_Item(i, end, tomllib.loads(f"v = {text[i:end]}")["v"]))
            i = end
        else:
            raise CliError(f"pyproject.toml: [project] dependencies must be an array of strings "
                           f"(found {text[i:i + 20]!r})")
    raise CliError("pyproject.toml: the [project] dependencies array is not closed")


def _string_end(text, i):
    quote = text[i]
    if text.startswith(quote * 3, i):
        end = text.find(quote * 3, i + 3)
        if end < 0:
            raise CliError("pyproject.toml: unterminated string in dependencies")
        return end + 3
    j = i + 1
    while j < len(text):
        if quote == '"' and text[j] == "\\":
            j += 2
            continue
        if text[j] == quote:
            return j + 1
        if text[j] == "\n":
            break
        j += 1
    raise CliError("pyproject.toml: unterminated string in dependencies")


def _toml_string(value):
    if "'" not in value and not re.search(r"[\x00-\x1f\x7f]", value):
        return f'"{value}"' if '"' not in value and "\\" not in value else f"'{value}'"
    escaped = value.replace("\\", "\\\\").replace('"', '\\"')
    return '"' + re.sub(r"[\x00-\x1f\x7f]", lambda m: f"\\u{ord(m.group()):04x}", escaped) + '"'


def _line_start(text, pos):
    return text.rfind("\n", 0, pos) + 1


def _line_end(text, pos):
    end = text.find("\n", pos)
    return len(text) if end < 0 else end


def _rewrite(text, new_deps):
    """`text` with the [project] dependencies array replaced to hold `new_deps`
    (a list of requirement strings, in order)."""
    table = _project_table(text)
    if table is None:
        raise CliError("pyproject.toml has no [project] table; add one with a name, e.g.\n"
                       "[project]\nname = \"my-worker\"\nversion = \"0.1.0\"")
    start, end = table
    body = text[start:end]
    match = _DEPS_KEY.search(body)
    if match is None:
        # Insert after the last line of the table that is not blank or a comment.
        lines = body.splitlines(keepends=True)
        keep = len(lines)
        while keep and (not lines[keep - 1].strip() or lines[keep - 1].lstrip().startswith("#")):
            keep -= 1
        insert_at = start + sum(len(line) for line in lines[:keep])
        prefix = "" if insert_at == 0 or text[insert_at - 1] == "\n" else "\n"
        return text[:insert_at] + prefix + "dependencies = " + _format_array(new_deps, "") + "\n" + text[insert_at:]
    array_at = start + match.end()
    if text[array_at : array_at + 1] != "[":
        raise CliError("pyproject.toml: [project] dependencies must be an array, e.g. dependencies = [\"jinja2\"]")
    items, array_end = _scan_array(text, array_at)
    old = [item.value for item in items]
    if "\n" not in text[array_at:array_end]:
        line_start = _line_start(text, array_at)
        return text[:array_at] + _format_array(new_deps, text[line_start:array_at]) + text[array_end:]
    # A multi-line array: edit item by item, keeping comments and layout.
    return _edit_multiline(text, array_at, array_end, items, old, new_deps)


def _format_array(deps, line_prefix):
    one_line = "[" + ", ".join(_toml_string(d) for d in deps) + "]"
    if len(line_prefix) + len(one_line) <= 100 or not deps:
        return one_line
    return "[\n" + "".join(f"    {_toml_string(d)},\n" for d in deps) + "]"


def _edit_multiline(text, array_at, array_end, items, old, new_deps):
    new_by_name = {requirement_name(d): d for d in new_deps}
    out = text
    # Replace or delete existing items, from the end so offsets stay valid.
    for item in reversed(items):
        name = requirement_name(item.value)
        if name in new_by_name:
            if new_by_name[name] != item.value:
                out = out[: item.start] + _toml_string(new_by_name[name]) + out[item.end :]
            continue
        out = _delete_item(out, item, array_at)
    kept = {requirement_name(v) for v in old}
    added = [d for d in new_deps if requirement_name(d) not in kept]
    if not added:
        return out
    # Append before the closing bracket, indented like the last item.
    _, array_end = _scan_array(out, array_at)
    items, _ = _scan_array(out, array_at)
    close = array_end - 1
    if items:
        last = items[-1]
        indent = re.match(r"[ \t]*", out[_line_start(out, last.start):]).group()
        after = out[last.end:close]
        if not re.match(r"\s*,", after):
            out = out[: last.end] + "," + out[last.end :]
            close += 1
    else:
        indent = "    "
    line_start = _line_start(out, close)
    new_lines = "".join(f"{indent}{_toml_string(d)},\n" for d in added)
    if out[line_start:close].strip() == "":
        # "]" starts its own line: insert the new lines before it.
        return out[:line_start] + new_lines + out[line_start:]
    return out[:close] + "\n" + new_lines + out[close:]


def _delete_item(text, item, array_at):
    """Remove one array item: its whole line when it is alone there (with its
    comma and a trailing comment), else just the item and its comma."""
    line_start = _line_start(text, item.start)
    line_end = _line_end(text, item.end)
    before = text[line_start : item.start]
    after = text[item.end : line_end]
    if before.strip() in ("", "[") and re.fullmatch(r"\s*,?\s*(#.*)?", after) and before.strip() == "":
        return text[:line_start] + text[min(line_end + 1, len(text)) :]
    comma = re.match(r"\s*,[ \t]*", after)
    if comma:
        return text[: item.start] + text[item.end + comma.end() :]
    # The last item with no comma after it: take the comma before it instead.
    prev_comma = text.rfind(",", array_at, item.start)
    if prev_comma >= 0 and text[prev_comma + 1 : item.start].strip() == "":
        return text[:prev_comma] + text[item.end :]
    return text[: item.start] + text[item.end :]


def edit_dependencies(text, new_deps):
    """The pyproject text with `[project] dependencies` set to `new_deps`.

    Verified with tomllib: raises CliError (and changes nothing) when the
    result would not parse or would change anything else.
    """
    try:
        before = tomllib.loads(text)
    except tomllib.TOMLDecodeError as exc:
        raise CliError(f"pyproject.toml is not valid TOML: {exc}") from None
    if "dependencies" in (before.get("project", {}).get("dynamic") or []):
        raise CliError("pyproject.toml declares dependencies as dynamic; edit them where they are generated")
    result = _rewrite(text, list(new_deps))
    try:
        after = tomllib.loads(result)
    except tomllib.TOMLDecodeError as exc:
        raise CliError(f"editing pyproject.toml would make it invalid ({exc}); edit it by hand") from None
    expected = dict(before)
    expected["project"] = dict(before.get("project", {}), dependencies=list(new_deps))
    if after != expected:
        raise CliError("editing pyproject.toml would change more than [project] dependencies "
                       "(unusual layout); edit it by hand")
    return result


def add(text, requirements):
    """Add or replace (same project name) requirements -> (new text, messages)."""
    deps = list(tomllib.loads(text).get("project", {}).get("dependencies") or [])
    messages = []
    for requirement in requirements:
        requirement = check_requirement(requirement)
        name = requirement_name(requirement)
        for i, existing in enumerate(deps):
            if requirement_name(existing) == name:
                if existing == requirement:
                    messages.append(f"{requirement} is already a dependency")
                else:
                    messages.append(f"replaced {existing} with {requirement}")
                deps[i] = requirement
                break
        else:
            deps.append(requirement)
            messages.append(f"added {requirement}")
    return edit_dependencies(text, deps), messages


def remove(text, names):
    """Remove requirements by project name -> (new text, messages); CliError when absent."""
    deps = list(tomllib.loads(text).get("project", {}).get("dependencies") or [])
    messages = []
    for name in names:
        wanted = requirement_name(name)
        matching = [d for d in deps if requirement_name(d) == wanted]
        if not matching:
            listed = ", ".join(deps) or "none"
            raise CliError(f"{name} is not a dependency (dependencies: {listed})")
        deps = [d for d in deps if requirement_name(d) != wanted]
        messages.extend(f"removed {d}" for d in matching)
    return edit_dependencies(text, deps), messages

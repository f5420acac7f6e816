"""Reading pyproject.toml (tomllib) and editing `[project] dependencies` in place (tomlkit).

The editor changes only the `dependencies` array (or adds the key when it is
missing) and keeps everything else byte for byte: comments, formatting, other
tables. Every edit is checked by parsing the result with tomllib: the
dependencies must be exactly the intended list and every other value
unchanged, otherwise nothing is written.
"""

import re
import tomllib

import tomlkit

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

_ONE_LINE_MAX = 100  # a longer one-line dependencies array is split, one requirement a line


def _toml_string(value):
    """A TOML string item as a person would write it: "basic", or 'literal' when that avoids escapes."""
    needs_escape = '"' in value or "\\" in value
    literal_ok = "'" not in value and not re.search(r"[\x00-\x1f\x7f]", value)
    return tomlkit.string(value, literal=needs_escape and literal_ok)


def _rewrite(text, new_deps):
    """`text` with the [project] dependencies array holding `new_deps` (requirement strings, in order), edited
    with tomlkit: kept items keep their place and comments, removed ones go with their line, new ones are
    appended (or the key is added after the table's last key)."""
    doc = tomlkit.parse(text)
    project = doc.get("project")
    if not isinstance(project, tomlkit.items.Table):
        raise CliError("pyproject.toml has no [project] table; add one with a name, e.g.\n"
                       "[project]\nname = \"my-worker\"\nversion = \"0.1.0\"")
    deps = project.get("dependencies")
    if deps is None:
        deps = tomlkit.array()
        deps.extend(_toml_string(d) for d in new_deps)
        # Table.add appends after the table's trailing blank lines and comments, which belong to the next
        # table: take them off the end (no key follows them, so no key's index moves), add, put them back.
        body = project.value.body
        last_key = max((i for i, (key, _) in enumerate(body) if key is not None), default=-1)
        trailing = body[last_key + 1:]
        del body[last_key + 1:]
        project.add("dependencies", deps)
        for key, item in trailing:
            project.raw_append(key, item)
    elif not isinstance(deps, tomlkit.items.Array):
        raise CliError("pyproject.toml: [project] dependencies must be an array, e.g. dependencies = [\"jinja2\"]")
    else:
        for item in deps:
            if not isinstance(item, str):
                raise CliError(f"pyproject.toml: [project] dependencies must be an array of strings "
                               f"(found {item.as_string()!r})")
        _edit_array(deps, new_deps)
    if "\n" not in deps.as_string() and len("dependencies = " + deps.as_string()) > _ONE_LINE_MAX:
        deps.multiline(True)
    return tomlkit.dumps(doc)


def _edit_array(deps, new_deps):
    new_by_name = {requirement_name(d): d for d in new_deps}
    kept = set()
    for i in reversed(range(len(deps))):
        name = requirement_name(deps[i])
        if name not in new_by_name:
            del deps[i]
            continue
        kept.add(name)
        if new_by_name[name] != deps[i]:
            deps[i] = _toml_string(new_by_name[name])
    for requirement in new_deps:
        if requirement_name(requirement) not in kept:
            deps.append(_toml_string(requirement))


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

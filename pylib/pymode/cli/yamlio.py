"""The YAML this CLI reads and writes, without a YAML dependency.

`load_all(text)` reads the subset Kubernetes manifests use: block mappings and
sequences, flow collections (`{name: x}`, `[a, b]`), plain, quoted and block
(`|`, `>`) scalars, multi-line plain and quoted scalars, comments and `---`
documents. Anchors, aliases, tags and complex keys raise `Unsupported`; callers may
then fall back to PyYAML (`load_all_any`). Scalars resolve by the YAML 1.2
core schema (null, true/false, integers, floats, everything else a string).

`dump_all(docs)` writes block-style YAML that YAML 1.1 and 1.2 parsers
(PyYAML, go-yaml in kubectl) read back to the same values: strings are plain
only when unambiguous, file contents become `|` blocks when that is exact and
double-quoted otherwise.
"""

import json
import math
import re

__all__ = ["YamlError", "Unsupported", "load_all", "load_all_any", "dump", "dump_all"]


class YamlError(ValueError):
    """The text is not valid YAML (as far as this reader can tell)."""

    def __init__(self, message, line=None):
        super().__init__(f"line {line}: {message}" if line else message)
        self.line = line


class Unsupported(YamlError):
    """Valid YAML, perhaps, but outside the subset this reader handles."""


# --- reading ----------------------------------------------------------------------

_INT = re.compile(r"^[-+]?(0|[1-9][0-9]*)$")
_INT_OCT = re.compile(r"^0o[0-7]+$")
_INT_HEX = re.compile(r"^0x[0-9a-fA-F]+$")
_FLOAT = re.compile(r"^[-+]?(\.[0-9]+|[0-9]+(\.[0-9]*)?)([eE][-+]?[0-9]+)?$")


def _resolve_plain(text):
    if text in ("", "~", "null", "Null", "NULL"):
        return None
    if text in ("true", "True", "TRUE"):
        return True
    if text in ("false", "False", "FALSE"):
        return False
    if _INT.match(text):
        return int(text)
    if _INT_OCT.match(text):
        return int(text[2:], 8)
    if _INT_HEX.match(text):
        return int(text[2:], 16)
    if _FLOAT.match(text):
        return float(text)
    lowered = text.lower()
    if lowered in (".inf", "+.inf"):
        return math.inf
    if lowered == "-.inf":
        return -math.inf
    if lowered == ".nan":
        return math.nan
    return text


_ESCAPES = {"0": "\0", "a": "\a", "b": "\b", "t": "\t", "\t": "\t", "n": "\n", "v": "\v", "f": "\f",
            "r": "\r", "e": "\x1b", " ": " ", '"': '"', "/": "/", "\\": "\\", "N": "\x85", "_": "\xa0",
            "L": "\u2028", "P": "\u2029"}
_HEX_ESCAPES = {"x": 2, "u": 4, "U": 8}


class _Line:
    __slots__ = ("number", "indent", "text")

    def __init__(self, number, indent, text):
        self.number = number  # 1-based, for messages
        self.indent = indent
        self.text = text  # without the indentation, comments not yet removed


def _strip_comment(text):
    """`text` without a trailing ` # comment` (quotes respected), right-stripped."""
    quote = None
    i = 0
    while i < len(text):
        c = text[i]
        if quote == "'":
            if c == "'":
                if text[i + 1 : i + 2] == "'":
                    i += 1
                else:
                    quote = None
        elif quote == '"':
            if c == "\\":
                i += 1
            elif c == '"':
                quote = None
        elif c in "'\"" and (i == 0 or text[i - 1] in " \t[{,:-?"):
            quote = c
        elif c == "#" and (i == 0 or text[i - 1] in " \t"):
            return text[:i].rstrip()
        i += 1
    return text.rstrip()


class _Reader:
    def __init__(self, lines):
        self.lines = lines  # raw lines of one document
        self.pos = 0

    # Lines that hold only whitespace or a comment do not count outside block scalars.
    def _skip_blank(self):
        while self.pos < len(self.lines):
            raw = self.lines[self.pos]
            stripped = raw.strip()
            if stripped and not stripped.startswith("#"):
                return
            self.pos += 1

    def peek(self):
        self._skip_blank()
        if self.pos >= len(self.lines):
            return None
        raw = self.lines[self.pos]
        body = raw.lstrip(" ")
        if body.startswith("\t"):
            raise YamlError("tabs cannot indent YAML", self.pos + 1)
        return _Line(self.pos + 1, len(raw) - len(body), body)

    def parse_document(self):
        line = self.peek()
        if line is None:
            return None
        value = self.parse_node(line.indent)
        extra = self.peek()
        if extra is not None:
            raise YamlError(f"unexpected content {extra.text!r} (check the indentation)", extra.number)
        return value

    def parse_node(self, indent):
        """The block node whose first line is the next one, at exactly `indent`."""
        line = self.peek()
        text = _strip_comment(line.text)
        if text == "-" or text.startswith("- "):
            return self.parse_sequence(line.indent)
        if _split_key(text, line.number) is not None:
            return self.parse_mapping(line.indent)
        # A lone scalar or flow collection as the whole node.
        self.pos += 1
        return self.inline_value(text, line, indent)

    def parse_sequence(self, indent):
        items = []
        while True:
            line = self.peek()
            if line is None or line.indent < indent:
                return items
            text = _strip_comment(line.text)
            if line.indent > indent:
                raise YamlError(f"unexpected indentation at {text!r}", line.number)
            if not (text == "-" or text.startswith("- ")):
                return items  # "key:\n- a\nnext: b": the parent mapping goes on
            rest = text[1:].lstrip(" ")
            if not rest:
                self.pos += 1
                nxt = self.peek()
                items.append(self.parse_node(nxt.indent) if nxt is not None and nxt.indent > indent else None)
                continue
            # "- x": the item starts on this line, its own indentation is where x starts.
            offset = line.indent + (len(line.text) - len(line.text[1:].lstrip(" ")))
            self.lines[self.pos] = " " * offset + line.text[offset - line.indent :]
            items.append(self.parse_item_inline(offset, indent))

    def parse_item_inline(self, indent, dash_indent):
        line = self.peek()
        text = _strip_comment(line.text)
        if text == "-" or text.startswith("- "):
            return self.parse_sequence(indent)
        if _split_key(text, line.number) is not None:
            return self.parse_mapping(indent)
        self.pos += 1
        # A scalar item's continuation (block or plain) only has to be indented past the dash.
        return self.inline_value(text, line, dash_indent)

    def parse_mapping(self, indent):
        mapping = {}
        while True:
            line = self.peek()
            if line is None or line.indent < indent:
                return mapping
            if line.indent > indent:
                raise YamlError(f"unexpected indentation at {line.text.strip()!r}", line.number)
            text = _strip_comment(line.text)
            split = _split_key(text, line.number)
            if split is None:
                raise YamlError(f"expected 'key: value', found {text!r}", line.number)
            key, rest = split
            if key in mapping:
                raise YamlError(f"duplicate key {key!r}", line.number)
            self.pos += 1
            if rest:
                mapping[key] = self.inline_value(rest, line, indent)
                continue
            nxt = self.peek()
            if nxt is not None and nxt.indent > indent:
                mapping[key] = self.parse_node(nxt.indent)
            elif nxt is not None and nxt.indent == indent and (
                _strip_comment(nxt.text) == "-" or _strip_comment(nxt.text).startswith("- ")
            ):
                mapping[key] = self.parse_sequence(indent)  # "key:\n- a" at the same indentation
            else:
                mapping[key] = None

    def inline_value(self, text, line, indent):
        """The value written on a line after `key: ` / `- ` (the line is consumed)."""
        first = text[:1]
        if first in ("&", "*", "!"):
            raise Unsupported("anchors, aliases and tags are not supported", line.number)
        if first in ("|", ">"):
            return self.block_scalar(text, line, indent)
        if first in ("[", "{"):
            source = text
            while not _balanced(source):
                self._skip_blank()
                if self.pos >= len(self.lines):
                    raise YamlError(f"unterminated flow collection {text!r}", line.number)
                source += " " + _strip_comment(self.lines[self.pos].strip())
                self.pos += 1
            value, end = _Flow(source, line.number).parse_value(0)
            if source[end:].strip():
                raise YamlError(f"unexpected {source[end:].strip()!r} after a flow collection", line.number)
            return value
        if first == '"' and not _closed_double(text):
            text = self._continue_quoted(text, line)
        if first == "'" and not _closed_single(text):
            text = self._continue_quoted(text, line)
        value, end = _scalar(text, 0, line.number, flow=False)
        if text[end:].strip():
            raise YamlError(f"unexpected {text[end:].strip()!r} after {text[:end]!r}", line.number)
        if first not in "\"'":
            continued = self._plain_continuation(indent)
            if continued:
                return _fold_quoted([text[:end].strip(), *continued])
        return value

    def _plain_continuation(self, indent):
        """The more-indented lines continuing a plain scalar (blank ones as '')."""
        parts = []
        pos = self.pos
        while pos < len(self.lines):
            raw = self.lines[pos]
            stripped = raw.strip()
            if not stripped:
                parts.append("")
                pos += 1
                continue
            width = len(raw) - len(raw.lstrip(" "))
            if width <= indent or stripped.startswith("#"):
                break
            if " #" in stripped:
                raise Unsupported("comments inside multi-line plain scalars are not supported", pos + 1)
            if re.search(r":(\s|$)", stripped):
                raise YamlError(f"unexpected 'key: value' continuing a plain scalar: {stripped!r}", pos + 1)
            parts.append(stripped)
            pos += 1
        while parts and parts[-1] == "":
            parts.pop()
        if parts:
            self.pos = pos
        return parts

    def _continue_quoted(self, text, line):
        """A quoted scalar spanning lines: join with YAML line folding."""
        parts = [text]
        while True:
            if self.pos >= len(self.lines):
                raise YamlError("unterminated quoted string", line.number)
            raw = self.lines[self.pos]
            self.pos += 1
            parts.append(raw.strip())
            joined = _fold_quoted(parts)
            if (_closed_double if text[0] == '"' else _closed_single)(joined):
                return joined

    def block_scalar(self, header, line, indent):
        match = re.match(r"^([|>])([-+]?)([1-9]?)([-+]?)\s*(#.*)?$", header)
        if not match or (match.group(2) and match.group(4)):
            raise YamlError(f"bad block scalar header {header!r}", line.number)
        style, chomp, explicit = match.group(1), match.group(2) or match.group(4), match.group(3)
        block_indent = indent + int(explicit) if explicit else None
        body = []
        while self.pos < len(self.lines):
            raw = self.lines[self.pos]
            if raw.strip() == "":
                body.append(raw)
                self.pos += 1
                continue
            width = len(raw) - len(raw.lstrip(" "))
            if block_indent is None:
                if width <= indent:
                    break
                block_indent = width
            if width < block_indent:
                break
            body.append(raw)
            self.pos += 1
        if block_indent is None:
            block_indent = indent + 1
        # Trailing blank lines belong to the scalar; chomping decides what stays.
        content = []
        for raw in body:
            if raw.strip() == "" and len(raw) <= block_indent:
                content.append("")
            elif len(raw) - len(raw.lstrip(" ")) < block_indent:
                raise YamlError("block scalar line is less indented than the first", line.number)
            else:
                content.append(raw[block_indent:])
        # Split the trailing empty lines off for chomping.
        trailing = 0
        while trailing < len(content) and content[len(content) - 1 - trailing] == "":
            trailing += 1
        lines = content[: len(content) - trailing]
        if style == "|":
            text = "\n".join(lines)
        else:
            text = _fold_block(lines)
        if not lines:
            return "\n" * trailing if chomp == "+" else ""
        if chomp == "-":
            return text
        if chomp == "+":
            return text + "\n" + "\n" * trailing
        return text + "\n"


def _fold_block(lines):
    out = ""
    previous = None
    for line in lines:
        if previous is None:
            out = line
        elif line == "":
            out += "\n"
        elif previous == "" or line.startswith((" ", "\t")) or previous.startswith((" ", "\t")):
            out += ("\n" if previous != "" else "") + line
        else:
            out += " " + line
        previous = line
    return out


def _fold_quoted(parts):
    """Join the lines of a quoted scalar: a line break is a space, empty lines
    are newlines, and in double quotes a trailing backslash joins directly."""
    double = parts[0].startswith('"')
    out = parts[0].rstrip(" \t")
    blank = 0
    for part in parts[1:]:
        if part == "":
            blank += 1
            continue
        escaped = len(out) - len(out.rstrip("\\"))
        if double and not blank and escaped % 2 == 1:
            out = out[:-1]
        else:
            out += ("\n" * blank) if blank else " "
        blank = 0
        out += part.rstrip(" \t") if part is not parts[-1] else part
    return out + ("\n" * blank if blank else "")


def _closed_double(text):
    i = 1
    while i < len(text):
        if text[i] == "\\":
            i += 2
            continue
        if text[i] == '"':
            return True
        i += 1
    return False


def _closed_single(text):
    i = 1
    while i < len(text):
        if text[i] == "'":
            if text[i + 1 : i + 2] == "'":
                i += 2
                continue
            return True
        i += 1
    return False


def _balanced(text):
    depth = 0
    quote = None
    i = 0
    while i < len(text):
        c = text[i]
        if quote == '"':
            if c == "\\":
                i += 1
            elif c == '"':
                quote = None
        elif quote == "'":
            if c == "'":
                quote = None
        elif c in "\"'":
            quote = c
        elif c in "[{":
            depth += 1
        elif c in "]}":
            depth -= 1
        i += 1
    return depth <= 0 and quote is None


def _split_key(text, number):
    """('key', 'rest') when `text` is a `key: value` entry, else None."""
    if text.startswith("? "):
        raise Unsupported("complex mapping keys ('? ') are not supported", number)
    if text[:1] in ("\"", "'"):
        try:
            key, end = _scalar(text, 0, number, flow=False)
        except YamlError:
            return None
        rest = text[end:]
        if rest.startswith(":") and (len(rest) == 1 or rest[1] in " \t"):
            return str(key), rest[1:].strip()
        return None
    if text[:1] in ("[", "{", "|", ">", "&", "*", "!", "#", "%", "@", "`") or text.startswith("- ") or text == "-":
        return None
    match = re.search(r":(\s|$)", text)
    if not match:
        return None
    key = text[: match.start()].rstrip()
    if not key:
        return None
    value = _resolve_plain(key)
    return (key if value is None else str(value) if not isinstance(value, str) else value), \
        text[match.end():].strip()


def _scalar(text, pos, number, flow):
    """A scalar starting at `pos` -> (value, end). Plain scalars end at ': ',
    ' #', and in flow context also at ',', ']' and '}'."""
    c = text[pos : pos + 1]
    if c == '"':
        out = []
        i = pos + 1
        while i < len(text):
            ch = text[i]
            if ch == '"':
                return "".join(out), i + 1
            if ch == "\\":
                esc = text[i + 1 : i + 2]
                if esc in _HEX_ESCAPES:
                    digits = text[i + 2 : i + 2 + _HEX_ESCAPES[esc]]
                    if len(digits) != _HEX_ESCAPES[esc] or not re.fullmatch(r"[0-9a-fA-F]+", digits):
                        raise YamlError(f"bad escape \\{esc}{digits}", number)
                    out.append(chr(int(digits, 16)))
                    i += 2 + len(digits)
                    continue
                if esc not in _ESCAPES:
                    raise YamlError(f"unknown escape \\{esc}", number)
                out.append(_ESCAPES[esc])
                i += 2
                continue
            out.append(ch)
            i += 1
        raise YamlError("unterminated double-quoted string", number)
    if c == "'":
        out = []
        i = pos + 1
        while i < len(text):
            if text[i] == "'":
                if text[i + 1 : i + 2] == "'":
                    out.append("'")
                    i += 2
                    continue
                return "".join(out), i + 1
            out.append(text[i])
            i += 1
        raise YamlError("unterminated single-quoted string", number)
    if c in ("&", "*", "!"):
        raise Unsupported("anchors, aliases and tags are not supported", number)
    if c in ("@", "`", "%"):
        raise YamlError(f"a plain scalar cannot start with {c!r}", number)
    i = pos
    while i < len(text):
        ch = text[i]
        if ch == ":" and (i + 1 == len(text) or text[i + 1] in " \t" or (flow and text[i + 1] in ",]}")):
            break
        if ch == "#" and i > pos and text[i - 1] in " \t":
            break
        if flow and ch in ",]}[{":
            break
        i += 1
    return _resolve_plain(text[pos:i].strip()), i


class _Flow:
    def __init__(self, text, number):
        self.text = text
        self.number = number

    def _ws(self, pos):
        while pos < len(self.text) and self.text[pos] in " \t\n":
            pos += 1
        return pos

    def parse_value(self, pos):
        pos = self._ws(pos)
        c = self.text[pos : pos + 1]
        if c == "[":
            items = []
            pos = self._ws(pos + 1)
            while self.text[pos : pos + 1] != "]":
                value, pos = self.parse_value(pos)
                items.append(value)
                pos = self._ws(pos)
                if self.text[pos : pos + 1] == ",":
                    pos = self._ws(pos + 1)
                elif self.text[pos : pos + 1] != "]":
                    raise YamlError(f"expected ',' or ']' in {self.text!r}", self.number)
            return items, pos + 1
        if c == "{":
            mapping = {}
            pos = self._ws(pos + 1)
            while self.text[pos : pos + 1] != "}":
                key, pos = _scalar(self.text, pos, self.number, flow=True)
                pos = self._ws(pos)
                if self.text[pos : pos + 1] == ":":
                    value, pos = self.parse_value(pos + 1)
                else:
                    value = None
                mapping[str(key) if key is not None else "null"] = value
                pos = self._ws(pos)
                if self.text[pos : pos + 1] == ",":
                    pos = self._ws(pos + 1)
                elif self.text[pos : pos + 1] != "}":
                    raise YamlError(f"expected ',' or '}}' in {self.text!r}", self.number)
            return mapping, pos + 1
        if not c:
            raise YamlError(f"unexpected end of {self.text!r}", self.number)
        return _scalar(self.text, pos, self.number, flow=True)


def load_all(text):
    """All documents of a YAML stream (empty documents are skipped)."""
    if text.startswith("\ufeff"):
        text = text[1:]
    docs = []
    current = []
    offset = 0
    starts = [0]
    for raw in text.splitlines():
        stripped = raw.rstrip()
        if stripped.startswith("%"):
            raise Unsupported("YAML directives are not supported", offset + len(current) + 1)
        if stripped == "---" or stripped.startswith("--- ") or stripped == "...":
            docs.append(current)
            offset += len(current) + 1
            starts.append(offset)
            current = []
            rest = stripped[4:].strip() if stripped.startswith("--- ") else ""
            if rest and not rest.startswith("#"):
                current.append(rest)  # "--- value" on the separator line
                offset -= 1
            continue
        current.append(raw.rstrip("\r"))
    docs.append(current)
    values = []
    for lines, start in zip(docs, starts):
        reader = _Reader(lines)
        try:
            value = reader.parse_document()
        except YamlError as exc:
            if exc.line is not None:
                cls = type(exc)
                raise cls(str(exc).split(": ", 1)[1], exc.line + start) from None
            raise
        if value is not None:
            values.append(value)
    return values


def load_all_any(text, what="YAML"):
    """`load_all`, falling back to PyYAML for constructs outside the subset."""
    try:
        return load_all(text)
    except Unsupported as exc:
        try:
            import yaml
        except ImportError:
            raise Unsupported(
                f"{what}: {exc} (PyYAML would read it: pip install 'pymode[yaml]')", None) from None
        return [doc for doc in yaml.safe_load_all(text) if doc is not None]


# --- writing ----------------------------------------------------------------------

_PLAIN_SAFE = re.compile(r"^[A-Za-z_/][-A-Za-z0-9_./]*$")
# Words YAML 1.1 (go-yaml, PyYAML) or 1.2 read as something other than a string.
_RESERVED = {"y", "n", "yes", "no", "on", "off", "true", "false", "null", "~"}
_BLOCK_UNSAFE = re.compile("[\x00-\x08\x0b-\x1f\x7f-\x9f\u2028\u2029\ufeff\ud800-\udfff]")


def _plain_ok(text):
    return bool(_PLAIN_SAFE.match(text)) and text.lower() not in _RESERVED and len(text) <= 1024


def _quote(text):
    out = ['"']
    for ch in text:
        code = ord(ch)
        if ch == '"':
            out.append('\\"')
        elif ch == "\\":
            out.append("\\\\")
        elif ch == "\n":
            out.append("\\n")
        elif ch == "\t":
            out.append("\\t")
        elif ch == "\r":
            out.append("\\r")
        elif code < 0x20 or 0x7F <= code <= 0x9F:
            out.append(f"\\x{code:02x}")
        elif ch in "\u2028\u2029\ufeff" or 0xD800 <= code <= 0xDFFF:
            out.append(f"\\u{code:04x}")
        else:
            out.append(ch)
    out.append('"')
    return "".join(out)


def _scalar_text(value):
    if value is None:
        return "null"
    if value is True:
        return "true"
    if value is False:
        return "false"
    if isinstance(value, int):
        return str(value)
    if isinstance(value, float):
        if math.isnan(value):
            return ".nan"
        if math.isinf(value):
            return ".inf" if value > 0 else "-.inf"
        return json.dumps(value)
    if isinstance(value, str):
        return value if _plain_ok(value) else _quote(value)
    raise TypeError(f"cannot write {type(value).__name__} as YAML")


def _block_literal(text, indent):
    """`text` as a `|` block at `indent`, or None when a block would not be exact."""
    if "\n" not in text.rstrip("\n") or _BLOCK_UNSAFE.search(text):
        return None
    lines = text.split("\n")
    if text.endswith("\n"):
        lines.pop()
    for line in lines:
        # Whitespace at the end of lines, or whitespace-only lines, are where YAML
        # parsers disagree; quote such text instead.
        if line != line.rstrip(" \t"):
            return None
    trailing = len(text) - len(text.rstrip("\n"))
    chomp = "-" if trailing == 0 else "" if trailing == 1 else "+"
    if trailing > 1:
        lines = lines[: len(lines) - (trailing - 1)] if text.rstrip("\n") else []
    if not lines:
        return None
    indicator = str(2) if lines[0][:1] in (" ", "") else ""
    pad = " " * indent
    body = "\n".join(pad + line if line else "" for line in lines)
    tail = "\n" * (trailing - 1) if trailing > 1 else ""
    return f"|{indicator}{chomp}\n{body}{tail}"


def _emit(value, indent, out):
    pad = " " * indent
    if isinstance(value, dict):
        if not value:
            out.append(" {}")
            return
        for key, item in value.items():
            if not isinstance(key, str):
                raise TypeError(f"YAML keys must be strings here, got {key!r}")
            out.append(f"\n{pad}{_scalar_text(key)}:")
            _emit_child(item, indent, out)
        return
    if isinstance(value, list):
        if not value:
            out.append(" []")
            return
        for item in value:
            out.append(f"\n{pad}-")
            if isinstance(item, dict) and item:
                # "- key: v" with the rest of the mapping aligned under the key.
                first = True
                for key, sub in item.items():
                    out.append(f" {_scalar_text(key)}:" if first else f"\n{pad}  {_scalar_text(key)}:")
                    first = False
                    _emit_child(sub, indent + 2, out)
            elif isinstance(item, list) and item:
                _emit(item, indent + 2, out)
            elif isinstance(item, str):
                out.append(" " + _scalar_text(item))  # no block scalars in sequences
            else:
                _emit(item, indent, out)
        return
    out.append(" " + _scalar_text(value))


def _emit_child(value, indent, out):
    """The value after `key:` (or `-`) whose own lines go at indent + 2."""
    if isinstance(value, dict) and value:
        _emit(value, indent + 2, out)
    elif isinstance(value, list) and value:
        _emit(value, indent + 2, out)
    elif isinstance(value, str):
        block = _block_literal(value, indent + 2)
        out.append(" " + (block if block is not None else _scalar_text(value)))
    else:
        _emit(value, indent, out)


def dump(value):
    """One document (a dict or list at the top)."""
    out = []
    if isinstance(value, (dict, list)) and value:
        _emit(value, 0, out)
        return "".join(out).lstrip("\n") + "\n"
    out = []
    _emit(value, 0, out)
    return "".join(out).strip() + "\n"


def dump_all(docs):
    return "---\n".join(dump(doc) for doc in docs)

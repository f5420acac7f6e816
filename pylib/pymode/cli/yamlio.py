"""The YAML this CLI reads (worker.yaml) and writes (`pymode deploy`), with PyYAML.

Reading is PyYAML's safe loader with two additions, so a file means here what it
means to kubectl and the API server:
- a key given twice in one mapping is an error (the API server refuses it; PyYAML
  would silently keep the last value);
- the YAML 1.2 core schema's numbers PyYAML (YAML 1.1) reads as strings, `0o17`
  and `1e3`, are numbers (go-yaml, under kubectl, reads them so).

Writing is block style in the documents' own key order; multi-line strings (the
project files in the ConfigMap) become `|` blocks when that is exact, and every
string that a YAML 1.1 or 1.2 reader would take for another type is quoted, so
PyYAML and kubectl read the output back to the same values.

Errors are `YamlError`, whose message starts with the line at fault.
"""

import re

import yaml

__all__ = ["YamlError", "load_all", "dump_all"]


class YamlError(ValueError):
    """The text is not valid YAML, or has a key twice; the message names the line."""

    def __init__(self, message, line=None):
        super().__init__(f"line {line}: {message}" if line else message)
        self.line = line


# The YAML 1.2 core numbers missing from PyYAML's YAML 1.1 resolver.
_OCTAL_1_2 = re.compile(r"^[-+]?0o[0-7]+$")
_EXPONENT_FLOAT = re.compile(r"^[-+]?(\.[0-9]+|[0-9]+(\.[0-9]*)?)[eE][-+]?[0-9]+$")


def _add_core_schema_numbers(cls):
    cls.add_implicit_resolver("tag:yaml.org,2002:int", _OCTAL_1_2, list("-+0"))
    cls.add_implicit_resolver("tag:yaml.org,2002:float", _EXPONENT_FLOAT, list("-+.0123456789"))
    return cls


@_add_core_schema_numbers
class _Loader(yaml.SafeLoader):
    def construct_mapping(self, node, deep=False):
        seen = set()
        for key_node, _ in node.value:
            key = self.construct_object(key_node, deep=deep)
            try:
                duplicate = key in seen
            except TypeError:  # an unhashable key: the base class says so with its line
                break
            if duplicate:
                raise YamlError(f"duplicate key {key!r}", key_node.start_mark.line + 1)
            seen.add(key)
        return super().construct_mapping(node, deep=deep)


def load_all(text):
    """All documents of a YAML stream (empty documents are skipped)."""
    try:
        return [doc for doc in yaml.load_all(text, Loader=_Loader) if doc is not None]
    except yaml.MarkedYAMLError as exc:
        raise YamlError(_describe(exc), exc.problem_mark.line + 1 if exc.problem_mark else None) from None
    except yaml.YAMLError as exc:
        raise YamlError(str(exc)) from None


def _describe(exc):
    """PyYAML's problem, with where the construct it was reading began."""
    message = exc.problem or "invalid YAML"
    if exc.context:
        where = f" on line {exc.context_mark.line + 1}" if exc.context_mark else ""
        message += f" ({exc.context}{where})"
    return message


@_add_core_schema_numbers
class _Dumper(yaml.SafeDumper):
    pass


def _represent_str(dumper, text):
    style = "|" if "\n" in text.rstrip("\n") else None  # the emitter falls back to quotes when `|` is inexact
    return dumper.represent_scalar("tag:yaml.org,2002:str", text, style=style)


_Dumper.add_representer(str, _represent_str)


def dump_all(docs):
    """Documents as one YAML stream, `---` between them."""
    # No line folding: long strings stay on one line, where every reader agrees on them.
    return yaml.dump_all(docs, Dumper=_Dumper, default_flow_style=False, sort_keys=False, allow_unicode=True,
                         width=float("inf"))

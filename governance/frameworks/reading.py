"""YAML in, plain Python values out, each mapping and list knowing the line of each of its values,
so that every later complaint can name a line. Nothing here trusts the file: any input gives
either values or a list of problems, never an exception a person cannot act on.

What is refused, and why: more than one document, anchors and aliases (they can multiply a small
file into a huge one, and a framework has no need of them), tags beyond YAML's plain types,
keys that are not plain scalars, a key written twice in one mapping (YAML would silently keep the
last), nesting deeper than MAX_DEPTH, and files over the size limit or not in UTF-8."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import yaml
from django.utils.translation import gettext as _

MAX_DEPTH = 40
_Loader = getattr(yaml, "CSafeLoader", yaml.SafeLoader)  # libyaml when present: fast, and depth-limited


@dataclass(frozen=True)
class Problem:
    """One thing wrong with a file, at a line when one can be named (1-based)."""

    line: int | None
    message: str
    file: str = ""

    def __str__(self) -> str:
        where = ":".join(part for part in (self.file, str(self.line) if self.line else "") if part)
        return f"{where}: {self.message}" if where else self.message


class FrameworkFileError(Exception):
    """The file (or files) cannot be loaded; nothing was changed."""

    def __init__(self, problems: list[Problem]):
        super().__init__("; ".join(str(p) for p in problems[:5]))
        self.problems = problems


class Located(dict):
    """A mapping that knows its own line and the line of each key."""

    line: int = 0
    lines: dict

    def line_of(self, key) -> int:
        return self.lines.get(key, self.line)


class LocatedList(list):
    """A list that knows its own line and the line of each item."""

    line: int = 0
    lines: list

    def line_of(self, index: int) -> int:
        return self.lines[index] if 0 <= index < len(self.lines) else self.line


def line_at(document: Any, path) -> int | None:
    """The line of the value at `path` (keys and indexes from the top), or of the deepest part of
    the path that exists."""
    line = getattr(document, "line", None)
    current = document
    for step in path:
        if isinstance(current, Located) and step in current:
            line, current = current.line_of(step), current[step]
        elif isinstance(current, LocatedList) and isinstance(step, int) and 0 <= step < len(current):
            line, current = current.line_of(step), current[step]
        else:
            break
    return line


def decode(data: bytes | str, *, max_bytes: int) -> str:
    if isinstance(data, str):
        data = data.encode("utf-8", "surrogatepass")
    if len(data) > max_bytes:
        raise FrameworkFileError(
            [
                Problem(
                    None,
                    _("The file is larger than %(mb)s MB: split it or ask for a larger limit.")
                    % {"mb": max_bytes // 2**20},
                )
            ]
        )
    if not data.strip():
        raise FrameworkFileError([Problem(None, _("The file is empty."))])
    try:
        return data.decode("utf-8-sig")
    except UnicodeDecodeError as error:
        line = data[: error.start].count(b"\n") + 1
        raise FrameworkFileError(
            [Problem(line, _("This line is not UTF-8 text. Save the file as UTF-8 and try again."))]
        ) from None


def read(data: bytes | str, *, max_bytes: int = 20 * 2**20) -> Any:
    """The one YAML document in `data` as Located/LocatedList/scalars, or FrameworkFileError."""
    text = decode(data, max_bytes=max_bytes)
    if "\x00" in text:
        raise FrameworkFileError(
            [
                Problem(
                    text[: text.index("\x00")].count("\n") + 1, _("The file holds a NUL byte: it is not a text file.")
                )
            ]
        )
    try:
        node = yaml.compose(text, Loader=_Loader)
    except yaml.composer.ComposerError as error:
        if "single document" in f"{error.context or ''} {error.problem or ''}":
            mark = error.problem_mark
            raise FrameworkFileError(
                [
                    Problem(
                        mark.line + 1 if mark else None,
                        _("The file holds more than one YAML document (---): keep one framework per file."),
                    )
                ]
            ) from None
        raise FrameworkFileError([_yaml_problem(error)]) from None
    except yaml.YAMLError as error:
        raise FrameworkFileError([_yaml_problem(error)]) from None
    except RecursionError:
        raise FrameworkFileError([Problem(None, _("The file is nested too deeply to be a framework."))]) from None
    if node is None:
        raise FrameworkFileError([Problem(None, _("The file is empty."))])
    return _Builder().build(node)


def _yaml_problem(error: yaml.YAMLError) -> Problem:
    mark = getattr(error, "problem_mark", None) or getattr(error, "context_mark", None)
    problem = getattr(error, "problem", None) or str(error).splitlines()[0]
    context = getattr(error, "context", None)
    detail = f"{context}: {problem}" if context else problem
    return Problem(
        mark.line + 1 if mark is not None else None,
        _(
            "This is not valid YAML (%(detail)s). Check the indentation, colons and quotes on this line or just above it."
        )
        % {"detail": detail},
    )


PLAIN_TAGS = {"tag:yaml.org,2002:map", "tag:yaml.org,2002:seq"}


class _Builder:
    def __init__(self):
        self.seen: set[int] = set()
        self.scalars = yaml.constructor.SafeConstructor()

    def build(self, node, depth: int = 0, at: int | None = None):
        line = node.start_mark.line + 1
        if id(node) in self.seen:
            # An alias: the node was met before. Name the line where it is used, not the anchor's.
            raise FrameworkFileError(
                [
                    Problem(
                        at or line,
                        _("Anchors and aliases (&name, *name) are not accepted: write each value out in full."),
                    )
                ]
            )
        self.seen.add(id(node))
        if depth > MAX_DEPTH:
            raise FrameworkFileError([Problem(line, _("The file is nested too deeply to be a framework."))])
        if isinstance(node, (yaml.MappingNode, yaml.SequenceNode)) and node.tag not in PLAIN_TAGS:
            raise FrameworkFileError(
                [
                    Problem(
                        line,
                        _("The tag %(tag)s is not accepted: use plain text, numbers, true/false, lists and mappings.")
                        % {"tag": node.tag[:80]},
                    )
                ]
            )
        if isinstance(node, yaml.MappingNode):
            return self._mapping(node, line, depth)
        if isinstance(node, yaml.SequenceNode):
            items = LocatedList(self.build(item, depth + 1, at=line) for item in node.value)
            items.line, items.lines = line, [item.start_mark.line + 1 for item in node.value]
            return items
        try:
            return self.scalars.construct_object(node)
        except yaml.YAMLError as error:
            detail = getattr(error, "problem", "") or str(error)
            raise FrameworkFileError(
                [
                    Problem(
                        line,
                        _(
                            "This value has a type that is not accepted (%(detail)s): use plain text, numbers, true/false or lists."
                        )
                        % {"detail": detail},
                    )
                ]
            ) from None

    def _mapping(self, node, line: int, depth: int) -> Located:
        result = Located()
        result.line, result.lines = line, {}
        for key_node, value_node in node.value:
            key_line = key_node.start_mark.line + 1
            if not isinstance(key_node, yaml.ScalarNode):
                raise FrameworkFileError([Problem(key_line, _("A key must be a plain word, not a list or a mapping."))])
            if key_node.tag == "tag:yaml.org,2002:merge":
                raise FrameworkFileError(
                    [Problem(key_line, _("Merge keys (<<) are not accepted: write each value out in full."))]
                )
            key = self.build(key_node, depth + 1, at=key_line)
            if not isinstance(key, (str, int, bool)) or key is None:
                key = str(key)
            if key in result:
                raise FrameworkFileError(
                    [
                        Problem(
                            key_line,
                            _("The key “%(key)s” appears twice in the same place (first on line %(first)s): keep one.")
                            % {"key": str(key)[:60], "first": result.lines[key]},
                        )
                    ]
                )
            result[key] = self.build(value_node, depth + 1, at=key_line)
            result.lines[key] = key_line
        return result

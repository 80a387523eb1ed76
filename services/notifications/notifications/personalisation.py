"""Personalisation of email templates, following GOV.UK Notify's rules.

A template's subject and body hold placeholders that are filled from a
``personalisation`` mapping when an email is sent:

* ``((name))`` is replaced by the value of ``name``. Names are matched
  case-insensitively, and whitespace just inside the brackets is ignored, so
  ``(( First name ))`` and ``((first name))`` are the same placeholder. Keys of
  the personalisation are matched the same way. A placeholder sits on one line.
* Values may be ``str``, ``int``, ``float`` or ``bool`` (rendered with ``str()``)
  or a ``list``, rendered as a bulleted list: in plain text each item on its own
  line after ``"* "``, the list starting on a new line when the placeholder is
  not at the start of one (and text after it moving to a new line); in HTML as
  ``<ul><li>...</li></ul>``. An empty list renders as nothing.
* ``((name??text))`` is conditional: ``text`` is shown when the value of
  ``name`` is ``True`` or a string that reads "yes" or "true" (case and
  surrounding whitespace ignored); anything else hides it. ``text`` is shown as
  written: it cannot hold placeholders (nor brackets).
* Every placeholder needs a value (``None`` is none), else
  :class:`MissingPersonalisation` lists every missing name, lower-cased, at
  once. Values no placeholder uses are ignored.

Rendering:

* :func:`render_text` is the template with placeholders substituted: nothing
  is escaped or formatted.
* :func:`render_subject` is a single line: line breaks in values become spaces
  and lists are joined with ", ".
* :func:`render_html` renders the body with a minimal subset of Notify's
  formatting: blank-line separated paragraphs become ``<p>`` (line breaks
  within one become ``<br>``), lines starting ``"* "`` or ``"- "`` become a
  ``<ul>``, and lines starting ``"# "`` become ``<h2>``. Template text and
  values are HTML-escaped. The structure comes from the template alone: a value
  such as ``"# x"`` stays literal text, and line breaks in values become
  ``<br>``. Other Markdown is out of scope.
"""
from __future__ import annotations

import html
import re
from collections.abc import Iterable, Iterator, Mapping
from typing import Union

Value = Union[str, int, float, bool, list]

PLACEHOLDER = re.compile(r"\(\(([^()\n]+)\)\)")
_SHOWN = {"yes", "true"}
_BULLET = re.compile(r"[*-] ")
_LIST_HTML = re.compile(r"(<ul>.*?</ul>)")
_EDGE_BREAKS = re.compile(r"^(?:\s|<br>)+|(?:\s|<br>)+$")
_LINE_BREAKS = re.compile(r"\s*[\r\n]+\s*")


class MissingPersonalisation(ValueError):
    """Placeholders of a template that the personalisation gives no value for."""

    def __init__(self, missing: Iterable[str]) -> None:
        self.missing: list[str] = sorted(missing)
        super().__init__("Missing personalisation: " + ", ".join(self.missing))


def _parse(body: str) -> tuple[str, str | None]:
    """The lower-cased name of a placeholder and its conditional text, if any."""
    name, separator, conditional = body.partition("??")
    return name.strip().lower(), (conditional if separator else None)


def placeholders(text: str) -> set[str]:
    """The lower-cased names of the placeholders in ``text``, conditional ones included."""
    return {_parse(match.group(1))[0] for match in PLACEHOLDER.finditer(text)} - {""}


def _values(text: str, personalisation: Mapping[str, Value]) -> dict[str, Value]:
    """The personalisation keyed by lower-cased name; raises if any placeholder lacks a value."""
    values = {str(key).strip().lower(): value for key, value in personalisation.items()}
    if missing := {name for name in placeholders(text) if values.get(name) is None}:
        raise MissingPersonalisation(missing)
    return values


def _shown(value: Value) -> bool:
    """Whether a value shows the text of a conditional placeholder."""
    if isinstance(value, bool):
        return value
    return isinstance(value, str) and value.strip().lower() in _SHOWN


def _resolve(value: Value, conditional: str | None) -> str | list[str]:
    if conditional is not None:
        return conditional if _shown(value) else ""
    if isinstance(value, list):
        return [str(item) for item in value]
    if isinstance(value, (str, int, float, bool)):
        return str(value)
    raise TypeError(f"Personalisation values must be text, numbers, booleans or lists, not {type(value).__name__}")


def _segments(text: str, values: Mapping[str, Value]) -> Iterator[str | list[str]]:
    """``text`` split into literal text (str) and substituted values (str or list of items)."""
    position = 0
    for match in PLACEHOLDER.finditer(text):
        name, conditional = _parse(match.group(1))
        if not name:
            continue
        yield text[position:match.start()]
        yield _resolve(values[name], conditional)
        position = match.end()
    yield text[position:]


def render_text(text: str, personalisation: Mapping[str, Value]) -> str:
    """The plain-text rendering of a template: placeholders substituted, nothing escaped."""
    values = _values(text, personalisation)
    out, after_list = "", False
    for part in _segments(text, values):
        if isinstance(part, list):
            if part:
                out = out.rstrip(" \t")
                if out and not out.endswith("\n"):
                    out += "\n"
                out += "\n".join(f"* {item}" for item in part)
                after_list = True
        elif part:
            if after_list:
                part = part.lstrip(" \t")
                if part and not part.startswith(("\n", "\r")):
                    part = "\n" + part
            out += part
            after_list = False
    return out


def render_subject(text: str, personalisation: Mapping[str, Value]) -> str:
    """A subject line: placeholders substituted, on one line, lists joined with ", "."""
    values = _values(text, personalisation)
    parts = (", ".join(part) if isinstance(part, list) else part for part in _segments(text, values))
    return _LINE_BREAKS.sub(" ", "".join(parts)).strip()


def _escape(text: str) -> str:
    return re.sub(r"\r\n?|\n", "<br>", html.escape(text, quote=False))


def _inline_html(line: str, values: Mapping[str, Value]) -> str:
    """One line of the template as escaped HTML; list values become a ``<ul>``."""
    out = []
    for part in _segments(line, values):
        if isinstance(part, list):
            if part:
                out.append("<ul>" + "".join(f"<li>{_escape(item)}</li>" for item in part) + "</ul>")
        else:
            out.append(_escape(part))
    return "".join(out)


def _wrap(tag: str, content: str) -> str:
    """``content`` in ``tag``, with any list values taken out of it (no ``<ul>`` inside a ``<p>``)."""
    out = []
    for chunk in _LIST_HTML.split(content):
        if chunk.startswith("<ul>"):
            out.append(chunk)
        elif chunk := _EDGE_BREAKS.sub("", chunk):
            out.append(f"<{tag}>{chunk}</{tag}>")
    return "".join(out)


def _kind(line: str) -> str | None:
    if not line.strip():
        return None
    return "h2" if line.startswith("# ") else "ul" if _BULLET.match(line) else "p"


def _blocks(text: str) -> list[tuple[str, list[str]]]:
    """Runs of lines of one kind (paragraph, bullets), blank lines separating; a heading alone."""
    blocks: list[tuple[str, list[str]]] = []
    previous = None
    for line in text.splitlines():
        kind = _kind(line)
        if kind is not None and kind == previous and kind != "h2":
            blocks[-1][1].append(line)
        elif kind is not None:
            blocks.append((kind, [line]))
        previous = kind
    return blocks


def render_html(text: str, personalisation: Mapping[str, Value]) -> str:
    """The HTML body of an email: escaped, with paragraphs, bulleted lists and headings."""
    values = _values(text, personalisation)
    out = []
    for kind, lines in _blocks(text):
        if kind == "h2":
            out.append(_wrap("h2", _inline_html(lines[0][2:].strip(), values)))
        elif kind == "ul":
            items = (_inline_html(line[2:].strip(), values) for line in lines)
            out.append("<ul>" + "".join(f"<li>{item}</li>" for item in items) + "</ul>")
        else:
            out.append(_wrap("p", "<br>".join(_inline_html(line.strip(), values) for line in lines)))
    return "\n".join(block for block in out if block)

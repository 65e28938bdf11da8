"""The export document as JSON text, and JSON text read back as a document, refusing
what no field can hold with a message naming where."""

from __future__ import annotations

import gc
import json
import re
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import UTC, datetime
from typing import Any

from pydantic import ValidationError

from storage.errors import InvalidInput
from storage.export.schema import FORMAT_NAME, FORMAT_VERSION, IncidentDocument
from storage.limits import too_long
from storage.text import json_escaped
from storage.timeparse import quote_input


def to_json(document: IncidentDocument) -> str:
    """The document as indented JSON text (UTF-8, keys in schema order); control and bidi
    characters in its strings are written as `\\uXXXX` escapes (`json_escaped`)."""
    text = json.dumps(document.model_dump(mode="json", by_alias=True), indent=2, ensure_ascii=False)
    return json_escaped(text) + "\n"


def parse_document(text: str | bytes, *, now: datetime | None = None) -> IncidentDocument:
    """Validate JSON text as an export document; errors name the field at fault.

    Every time must lie in the range warroom accepts as of `now` (default: the system
    clock), see `storage.timeparse.out_of_range`.
    """
    return validate_document(read_export(text), now=now)


def read_export(text: str | bytes) -> dict[str, Any]:
    """JSON text read as an export document not yet validated: refused, naming where, if
    it is not JSON, not a warroom export of this version, or holds a value no field can
    hold (`_refuse_unreadable_values`)."""
    suspect: list[bool] = []  # a key given twice or a number too long was met: look for where

    def pairs_hook(pairs: list[tuple[str, Any]]) -> dict[str, Any]:
        found = dict(pairs)
        if len(found) != len(pairs):
            suspect.append(True)
            return _object(pairs)
        return found

    def int_hook(digits: str) -> int | _HugeNumber:
        if len(digits) <= _LONGEST_NUMBER:
            return int(digits)
        suspect.append(True)
        return _integer(digits)

    was_bytes = isinstance(text, bytes)
    try:
        if isinstance(text, bytes):  # UTF-8 only (json.loads would guess UTF-16 and UTF-32 too)
            text = text.decode("utf-8-sig")
        with no_cycle_collection():
            raw = json.loads(text, object_pairs_hook=pairs_hook, parse_int=int_hook)
    except (json.JSONDecodeError, UnicodeDecodeError) as exc:
        raise InvalidInput(f"not a warroom export: invalid JSON ({exc})") from None
    except RecursionError:
        raise InvalidInput("not a warroom export: the JSON is nested too deeply") from None
    if not isinstance(raw, dict) or raw.get("format") != FORMAT_NAME:
        raise InvalidInput(f"not a warroom export: the document has no \"format\": \"{FORMAT_NAME}\"")
    if suspect or _may_hold_unreadable_text(text, decoded=was_bytes):
        _refuse_unreadable_values(raw)
    version = raw.get("version")
    if type(version) is not int or version != FORMAT_VERSION:  # `true` equals 1 in Python
        raise InvalidInput(
            f"export format version {_path_part(json.dumps(version, ensure_ascii=False))} is not supported "
            f"(this warroom reads {FORMAT_VERSION})"
        )
    return raw


def validate_document(raw: dict[str, Any], *, now: datetime | None = None) -> IncidentDocument:
    """`raw` (from `read_export`) validated as a document, times in range as of `now`
    (default: the system clock); the error names the first field at fault."""
    try:
        return IncidentDocument.model_validate(raw, context=import_context(now))
    except ValidationError as exc:
        raise invalid_export(exc) from None


def import_context(now: datetime | None) -> dict[str, datetime]:
    """The validation context of an import: the time the range of times is measured from."""
    return {"now": now if now is not None else datetime.now(UTC)}


def invalid_export(
    exc: ValidationError, *, within: str = "", offset: int = 0, count: int | None = None
) -> InvalidInput:
    """A document's validation errors as one line naming where the first is; `exc` may be
    raised for a slice of the list `within` (`timeline`) from item `offset`, with `count`
    errors in all (default: those of `exc`)."""
    first = exc.errors()[0]
    loc = first["loc"]
    if within:
        loc = (within, offset + int(loc[0]), *loc[1:])
    where = ".".join(_path_part(part) for part in loc) or "document"
    count = exc.error_count() if count is None else count
    more = f" (and {count - 1} more)" if count > 1 else ""
    reason = first["msg"]
    limit = (first.get("ctx") or {}).get("max_length")
    if first["type"] == "string_too_long" and isinstance(first["input"], str) and limit is not None:
        reason = too_long(len(first["input"]), limit)
    return InvalidInput(f"invalid export: {where}: {reason}{more}")


_ESCAPED_NUL_OR_SURROGATE = re.compile(r"\\u(?:0000|[dD][89a-fA-F])")


def _may_hold_unreadable_text(text: str, *, decoded: bool) -> bool:
    """Whether JSON text that parsed may hold a NUL or a lone surrogate in a string: only
    as a `\\u` escape (JSON refuses a raw control character in a string, UTF-8 a
    surrogate), or as a surrogate in text given as a Python string (not `decoded` from
    UTF-8). Text this says no to needs no walk through every value."""
    if _ESCAPED_NUL_OR_SURROGATE.search(text) is not None:
        return True
    return not decoded and _LONE_SURROGATE.search(text) is not None


@contextmanager
def no_cycle_collection() -> Iterator[None]:
    """The cyclic garbage collector paused while many objects are made and kept (a
    document's values, its rows): it would walk them all again and again for no garbage.
    Reference counting still frees what is dropped."""
    was_enabled = gc.isenabled()
    gc.disable()
    try:
        yield
    finally:
        if was_enabled:
            gc.enable()


class _RepeatedKey(dict[str, Any]):
    """A JSON object that names a key twice (`json` keeps the last): refused, with where."""

    repeated: str = ""


def _object(pairs: list[tuple[str, Any]]) -> dict[str, Any]:
    """A JSON object as a dict, marked when a key comes twice."""
    found = dict(pairs)
    if len(found) == len(pairs):
        return found
    marked = _RepeatedKey(found)
    seen: set[str] = set()
    for key, _ in pairs:
        if key in seen:
            marked.repeated = key
            break
        seen.add(key)
    return marked


_LONGEST_NUMBER = 40
"""More digits than any number of the document has (the largest is 64 bits: 20 digits)."""


class _HugeNumber:
    """A JSON integer too long for any field (Python refuses to read past 4,300 digits)."""

    def __init__(self, digits: int) -> None:
        self.digits = digits


def _integer(text: str) -> int | _HugeNumber:
    digits = len(text.lstrip("-"))
    return int(text) if digits <= _LONGEST_NUMBER else _HugeNumber(digits)


_LONE_SURROGATE = re.compile("[\ud800-\udfff]")


def _path_part(part: object) -> str:
    """One step of a path into the document, for a one-line message (odd keys quoted)."""
    text = str(part)
    return text if text.isprintable() and len(text) <= 40 and "." not in text else quote_input(text)


Where = tuple[object, "Where"] | None
"""A path into the document as a chain (parent, key), built into text only for a message."""


def _where(chain: Where) -> str:
    """A path as text: `timeline.3.text`."""
    parts: list[str] = []
    while chain is not None:
        key, chain = chain
        parts.append(_path_part(key))
    return ".".join(reversed(parts))


def _refuse_unreadable_values(raw: object) -> None:
    """Refuse what no field can hold, naming where: a key given twice in one object, a
    number too long to read, texts with a NUL (PostgreSQL refuses it, and so does every
    other way into the record) or a lone surrogate (not Unicode: no UTF-8 encoding)."""
    stack: list[tuple[object, Where]] = [(raw, None)]
    while stack:
        value, where = stack.pop()
        if isinstance(value, _RepeatedKey):
            raise InvalidInput(
                f"invalid export: {_where(where) or 'the document'}: "
                f"the key {quote_input(value.repeated)} is given twice"
            )
        if isinstance(value, dict):
            items: list[tuple[object, object]] = list(value.items())
        elif isinstance(value, list):
            items = list(enumerate(value))
        else:
            continue
        for key, item in items:
            if isinstance(item, _HugeNumber):
                raise InvalidInput(
                    f"invalid export: {_where((key, where))}: a number {item.digits:,} digits long, "
                    "larger than any field holds"
                )
            for text in (key, item):
                if not isinstance(text, str):
                    continue
                if "\x00" in text:
                    raise InvalidInput(
                        f"invalid export: {_where((key, where))}: holds a NUL character (\\0), which cannot be stored"
                    )
                if _LONE_SURROGATE.search(text):
                    raise InvalidInput(
                        f"invalid export: {_where((key, where))}: holds a lone surrogate, which is not valid Unicode"
                    )
            if isinstance(item, (dict, list)):
                stack.append((item, (key, where)))

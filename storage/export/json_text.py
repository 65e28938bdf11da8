"""The export document as JSON text, and JSON text read back as a document, refusing
what no field can hold with a message naming where."""

from __future__ import annotations

import json
import re
from datetime import UTC, datetime
from typing import Any

from pydantic import ValidationError

from storage.db import Store
from storage.errors import InvalidInput
from storage.export.load import build_document
from storage.export.schema import FORMAT_NAME, FORMAT_VERSION, IncidentDocument
from storage.limits import too_long
from storage.text import json_escaped
from storage.timeparse import quote_input


def to_json(document: IncidentDocument) -> str:
    """The document as indented JSON text (UTF-8, keys in schema order); control and bidi
    characters in its strings are written as `\\uXXXX` escapes (`json_escaped`)."""
    text = json.dumps(document.model_dump(mode="json", by_alias=True), indent=2, ensure_ascii=False)
    return json_escaped(text) + "\n"


def export_json(store: Store, ref: str) -> str:
    """Export one incident as JSON text."""
    return to_json(build_document(store, ref))


def parse_document(text: str | bytes, *, now: datetime | None = None) -> IncidentDocument:
    """Validate JSON text as an export document; errors name the field at fault.

    Every time must lie in the range warroom accepts as of `now` (default: the system
    clock), see `storage.timeparse.out_of_range`.
    """
    try:
        if isinstance(text, bytes):  # UTF-8 only (json.loads would guess UTF-16 and UTF-32 too)
            text = text.decode("utf-8-sig")
        raw = json.loads(text, object_pairs_hook=_object, parse_int=_integer)
    except (json.JSONDecodeError, UnicodeDecodeError) as exc:
        raise InvalidInput(f"not a warroom export: invalid JSON ({exc})") from None
    except RecursionError:
        raise InvalidInput("not a warroom export: the JSON is nested too deeply") from None
    if not isinstance(raw, dict) or raw.get("format") != FORMAT_NAME:
        raise InvalidInput(f"not a warroom export: the document has no \"format\": \"{FORMAT_NAME}\"")
    _refuse_unreadable_values(raw)
    version = raw.get("version")
    if type(version) is not int or version != FORMAT_VERSION:  # `true` equals 1 in Python
        raise InvalidInput(
            f"export format version {_path_part(json.dumps(version, ensure_ascii=False))} is not supported "
            f"(this warroom reads {FORMAT_VERSION})"
        )
    context = {"now": now if now is not None else datetime.now(UTC)}
    try:
        return IncidentDocument.model_validate(raw, context=context)
    except ValidationError as exc:
        first = exc.errors()[0]
        where = ".".join(_path_part(part) for part in first["loc"]) or "document"
        more = f" (and {exc.error_count() - 1} more)" if exc.error_count() > 1 else ""
        reason = first["msg"]
        limit = (first.get("ctx") or {}).get("max_length")
        if first["type"] == "string_too_long" and isinstance(first["input"], str) and limit is not None:
            reason = too_long(len(first["input"]), limit)
        raise InvalidInput(f"invalid export: {where}: {reason}{more}") from None


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


def _refuse_unreadable_values(raw: object) -> None:
    """Refuse what no field can hold, naming where: a key given twice in one object, a
    number too long to read, texts with a NUL (PostgreSQL refuses it, and so does every
    other way into the record) or a lone surrogate (not Unicode: no UTF-8 encoding)."""
    stack: list[tuple[object, str]] = [(raw, "")]
    while stack:
        value, where = stack.pop()
        if isinstance(value, _RepeatedKey):
            raise InvalidInput(
                f"invalid export: {where or 'the document'}: the key {quote_input(value.repeated)} is given twice"
            )
        if isinstance(value, dict):
            items: list[tuple[object, object]] = list(value.items())
        elif isinstance(value, list):
            items = list(enumerate(value))
        else:
            continue
        for key, item in items:
            path = f"{where}.{_path_part(key)}" if where else _path_part(key)
            if isinstance(item, _HugeNumber):
                raise InvalidInput(
                    f"invalid export: {path}: a number {item.digits:,} digits long, larger than any field holds"
                )
            for text in (key, item):
                if not isinstance(text, str):
                    continue
                if "\x00" in text:
                    raise InvalidInput(f"invalid export: {path}: holds a NUL character (\\0), which cannot be stored")
                if _LONE_SURROGATE.search(text):
                    raise InvalidInput(f"invalid export: {path}: holds a lone surrogate, which is not valid Unicode")
            stack.append((item, path))


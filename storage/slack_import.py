"""A channel's history from a Slack workspace export, onto an incident's timeline.

A standard export is a folder or a zip holding `users.json`, `channels.json` (and, for
private channels and group messages, `groups.json`, `mpims.json`) and a folder per channel
with a file per day, `NAME/YYYY-MM-DD.json`: a list of messages. Each message becomes a
note by its author's display name, at its time, its first link as the event's link; a
pinned message, or one with the chosen reaction (`:pushpin:` by default), is a key event.
Joins, leaves, topic changes and messages from bots are skipped. Each message is logged
with an entry id made of the channel's id and the message's `ts`, so that importing the
same export again (or a later one that overlaps it) adds only what is new.

The zip's members are read by name, never extracted: no member can write anywhere.
"""

from __future__ import annotations

import json
import re
import zipfile
from collections.abc import Iterator
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path, PurePosixPath
from typing import Any

from storage.db import Store
from storage.errors import InvalidInput, WarroomError
from storage.limits import TEXT_LIMITS
from storage.ops.events import ImportedEntry, log_imported
from storage.timeparse import quote_input

NOISE_SUBTYPES = frozenset({
    "channel_join", "channel_leave", "group_join", "group_leave", "channel_topic", "channel_purpose",
    "channel_name", "channel_archive", "channel_unarchive", "group_topic", "group_purpose", "group_name",
    "bot_message", "bot_add", "bot_remove", "pinned_item", "unpinned_item", "reminder_add", "tombstone",
    "sh_room_created", "sh_room_shared", "channel_convert_to_private", "channel_convert_to_public",
})
"""Message subtypes that are not something a person said: skipped."""

_DAY_FILE = re.compile(r"\d{4}-\d{2}-\d{2}\.json")
_ANGLED = re.compile(r"<([^<>]*)>")
_TS = re.compile(r"\d{1,12}(\.\d{1,6})?")


@dataclass
class SlackImport:
    """What an import did: messages added, already in the record, and skipped as noise
    (joins, bots) or as not a message at all (empty, unreadable, in the future)."""

    channel: str
    added: int = 0
    already: int = 0
    noise: int = 0
    unreadable: int = 0
    days: int = 0
    keys: int = 0


@dataclass
class _Export:
    """A Slack export opened as a folder or a zip: its members by path."""

    root: Path
    archive: zipfile.ZipFile | None = None
    prefix: str = ""
    names: set[str] = field(default_factory=set)

    @classmethod
    def open(cls, path: Path) -> _Export:
        if path.is_dir():
            return cls(path)
        try:
            archive = zipfile.ZipFile(path)
        except FileNotFoundError:
            raise InvalidInput(f"no Slack export at {path}") from None
        except (zipfile.BadZipFile, OSError) as exc:
            raise InvalidInput(f"{path} is neither a folder nor a zip of a Slack export ({exc})") from None
        names = {name for name in archive.namelist() if not name.endswith("/")}
        users = sorted((name for name in names if PurePosixPath(name).name == "users.json"), key=len)
        prefix = users[0][: -len("users.json")] if users else ""  # (a zip of the folder holds it one level down)
        return cls(path, archive, prefix, names)

    def read(self, name: str) -> Any | None:
        """The JSON document `name` (a path inside the export), None when there is none."""
        try:
            if self.archive is None:
                data = self._inside(name).read_bytes()
            elif self.prefix + name in self.names:
                data = self.archive.read(self.prefix + name)
            else:
                return None
        except FileNotFoundError:
            return None
        except OSError as exc:
            raise WarroomError(f"cannot read {name} in {self.root}: {exc.strerror or exc}") from None
        try:
            return json.loads(data)
        except ValueError as exc:
            raise InvalidInput(f"{name} in {self.root} is not JSON: {exc}") from None

    def _inside(self, name: str) -> Path:
        """The file `name` of the folder export; refused when it (a link) leads outside it."""
        path = self.root / name
        if not path.resolve().is_relative_to(self.root.resolve()):
            raise InvalidInput(f"{name} in {self.root} links outside the export: not read")
        return path

    def days(self, folder: str) -> list[str]:
        """The day files of channel folder `folder`, oldest first."""
        if self.archive is None:
            base = self.root / folder
            found = [item.name for item in base.iterdir() if item.is_file()] if base.is_dir() else []
        else:
            start = f"{self.prefix}{folder}/"
            found = [name[len(start):] for name in self.names if name.startswith(start)]
        return sorted(f"{folder}/{name}" for name in found if _DAY_FILE.fullmatch(name))

    def close(self) -> None:
        if self.archive is not None:
            self.archive.close()


def import_slack(
    store: Store, ref: str, path: Path, channel: str, *, key_reaction: str = "pushpin", author: str | None = None
) -> SlackImport:
    """Add channel `channel`'s messages from the export at `path` to incident `ref`'s
    timeline (see the module's text); what is already there is not added again."""
    reaction = key_reaction.strip().strip(":")
    name = channel.strip().removeprefix("#")
    if not name or name.startswith(".") or any(mark in name for mark in "/\\\x00"):
        raise InvalidInput(f"{quote_input(name)} is not a channel name (as the export's folders are named)")
    export = _Export.open(path)
    try:
        found = SlackImport(name)
        users = _display_names(export.read("users.json") or [])
        channel_id, pins = _channel(export, name)
        days = export.days(name)
        if not days:
            raise InvalidInput(f"the export at {path} has no messages of channel #{name}")
        found.days = len(days)
        entries: list[ImportedEntry] = []
        now = store.now()
        for day in days:
            for message in _messages(export.read(day), day):
                entry = _entry(message, channel_id, users, pins, reaction, found)
                if entry is not None and entry.occurred_at <= now:
                    entries.append(entry)
                elif entry is not None:
                    found.unreadable += 1
    finally:
        export.close()
    added, found.already = log_imported(store, ref, entries, author=author)
    found.added, found.keys = len(added), sum(entry.key for entry in added)
    return found


def _display_names(users: Any) -> dict[str, str]:
    """Each user id's name as Slack shows it: the display name, else the real name."""
    names: dict[str, str] = {}
    for user in users if isinstance(users, list) else []:
        if isinstance(user, dict) and isinstance(user.get("id"), str):
            profile = user.get("profile")
            profile = profile if isinstance(profile, dict) else {}
            for candidate in (profile.get("display_name"), profile.get("real_name"), user.get("real_name"),
                              user.get("name")):
                if isinstance(candidate, str) and candidate.strip():
                    names[user["id"]] = candidate.strip()
                    break
    return names


def _channel(export: _Export, name: str) -> tuple[str, set[str]]:
    """The channel's id (its name when no list names it) and the `ts` of its pinned messages."""
    for listing in ("channels.json", "groups.json", "mpims.json"):
        for entry in export.read(listing) or []:
            if isinstance(entry, dict) and entry.get("name") == name:
                pins = {str(pin.get("id")) for pin in entry.get("pins") or [] if isinstance(pin, dict)}
                return str(entry.get("id") or name), pins
    return name, set()


def _messages(day: Any, name: str) -> Iterator[dict[str, Any]]:
    if not isinstance(day, list):
        raise InvalidInput(f"{name} is not a list of messages")
    yield from (message for message in day if isinstance(message, dict))


def _entry(
    message: dict[str, Any], channel_id: str, users: dict[str, str], pins: set[str], reaction: str, found: SlackImport
) -> ImportedEntry | None:
    """The timeline entry of one message; None (counted) for noise or what cannot be read."""
    if message.get("type", "message") != "message" or message.get("subtype") in NOISE_SUBTYPES or message.get("bot_id"):
        found.noise += 1
        return None
    ts = message.get("ts")
    user = message.get("user")
    if not isinstance(ts, str) or not _TS.fullmatch(ts) or not isinstance(user, str):
        found.unreadable += 1
        return None
    text, link = plain_text(str(message.get("text") or ""), users)
    for attached in message.get("files") or []:
        if isinstance(attached, dict) and isinstance(attached.get("permalink"), str):
            link = link or attached["permalink"]
            text = f"{text} [file: {attached.get('name') or attached.get('title') or 'attached'}]".strip()
    if not text:
        found.unreadable += 1
        return None
    reactions = {r.get("name") for r in message.get("reactions") or [] if isinstance(r, dict)}
    key = bool(message.get("pinned_to")) or ts in pins or (bool(reaction) and reaction in reactions)
    seconds, _, fraction = ts.partition(".")
    fraction = fraction.ljust(6, "0")  # (six digits, as Slack writes them: `15` and `1.5` are two times)
    try:
        occurred_at = datetime.fromtimestamp(int(seconds), UTC).replace(microsecond=int(fraction))
    except (ValueError, OverflowError, OSError):  # (past the year 9999)
        found.unreadable += 1
        return None
    return ImportedEntry(
        entry_id=f"slack-{re.sub(r'[^A-Za-z0-9_-]', '_', channel_id)[:30]}-{int(seconds)}{fraction}",
        occurred_at=occurred_at,
        author=_shortened(users.get(user, user), TEXT_LIMITS["event.author"]),
        text=text,
        link=link,
        key=key,
    )


def plain_text(text: str, users: dict[str, str]) -> tuple[str, str | None]:
    """Slack's message markup as the text a reader sees, and its first link: `<@U1>` is
    `@name`, `<#C1|ops>` `#ops`, `<!here>` `@here`, `<https://x|label>` `label (https://x)`,
    and `&amp;`, `&lt;`, `&gt;` their characters. NUL, which no database stores, is dropped."""
    first: list[str] = []

    def shown(match: re.Match[str]) -> str:
        inner = match.group(1)
        target, _, label = (_unescape(part) for part in inner.partition("|"))
        if target.startswith("@"):
            return "@" + (users.get(target[1:]) or label or target[1:])
        if target.startswith("#"):
            return "#" + (label or target[1:])
        if target.startswith("!"):
            return label or "@" + target[1:].split("^")[0]
        if target.startswith("mailto:"):
            return label or target.removeprefix("mailto:")
        if re.match(r"https?://", target, re.IGNORECASE):
            if not first:
                first.append(target)
            return f"{label} ({target})" if label and label != target else target
        return _unescape(match.group(0))

    pieces: list[str] = []
    end = 0
    for match in _ANGLED.finditer(text):
        pieces += [_unescape(text[end:match.start()]), shown(match)]
        end = match.end()
    pieces.append(_unescape(text[end:]))
    return "".join(pieces).replace("\x00", "").strip(), (first[0] if first else None)


def _shortened(name: str, limit: int) -> str:
    """`name`, cut to `limit` characters (…): one overlong name in users.json does not refuse the import."""
    return name if len(name) <= limit else name[: limit - 1] + "…"


def _unescape(text: str) -> str:
    """Slack's three escapes undone (`&amp;` last: `&amp;lt;` is the text `&lt;`)."""
    return text.replace("&lt;", "<").replace("&gt;", ">").replace("&amp;", "&")

"""The `[keys]` table of the config checked against what the app knows: binding ids that
exist and key names Textual understands. `WarroomApp` applies the good entries with
`App.set_keymap` and shows one message for the rest, which keep their default keys."""

from __future__ import annotations

import difflib
import importlib
import pkgutil
import unicodedata
from collections.abc import Iterable, Mapping
from functools import partial
from typing import Any

from textual.app import App
from textual.binding import Binding
from textual.dom import DOMNode
from textual.keys import KEY_NAME_REPLACEMENTS, KEY_TO_UNICODE_NAME, Keys
from textual.screen import Screen

from storage.text import printable

MODIFIERS = frozenset({"ctrl", "shift", "alt", "meta", "super", "hyper"})
"""What may stand before `+` in a key: `ctrl+s`, `ctrl+shift+x`."""

NAMED_KEYS = frozenset(
    {key.value for key in Keys if "+" not in key.value and not key.value.startswith("<")}
    | set(KEY_TO_UNICODE_NAME)
    | set(KEY_NAME_REPLACEMENTS.values())
)
"""Keys known by name: `f6`, `enter`, `pageup`, `question_mark`, `slash`..."""

UI_PACKAGES = ("screens", "widgets")


def _ui_classes(extra: Iterable[type[DOMNode]] = ()) -> list[type]:
    """The app's screen and widget classes, and `extra` (the app class)."""
    classes: list[type] = list(extra)
    for package_name in UI_PACKAGES:
        package = importlib.import_module(package_name)
        for info in pkgutil.iter_modules(package.__path__, f"{package_name}."):
            module = importlib.import_module(info.name)
            classes.extend(
                value for value in vars(module).values() if isinstance(value, type) and issubclass(value, DOMNode)
            )
    return classes


def _bindings(cls: type) -> list[Binding]:
    """The bindings with an id of `cls` and of the classes it builds on."""
    return [
        binding
        for klass in cls.__mro__
        for binding in vars(klass).get("BINDINGS", ())
        if isinstance(binding, Binding) and binding.id
    ]


def binding_ids(extra: Iterable[type[DOMNode]] = ()) -> set[str]:
    """Every binding id of the app's screens and widgets, of the Textual classes they build
    on, and of `extra` (the app class)."""
    return {binding.id for cls in _ui_classes(extra) for binding in _bindings(cls) if binding.id}


def key_clashes(keymap: Mapping[str, str], app_class: type[DOMNode]) -> list[str]:
    """One problem for each key that `keymap` gives to an action while another action of the
    same screen (or of the app) keeps it or is given it too: one of them is out of reach."""
    app_bindings = _bindings(app_class)
    problems: list[str] = []
    for cls in _ui_classes():
        if not issubclass(cls, Screen):
            continue
        holders: dict[str, set[str]] = {}
        given: set[str] = set()  # keys the config gives to an action that did not have them
        for binding in [*_bindings(cls), *app_bindings]:
            assert binding.id is not None
            defaults = {key.strip() for key in binding.key.split(",")}
            for key in (key.strip() for key in keymap.get(binding.id, binding.key).split(",")):
                holders.setdefault(key, set()).add(binding.id)
                if key not in defaults:
                    given.add(key)
        for key, ids in holders.items():
            if len(ids) > 1 and key in given:
                problem = f"{key!r} is the key of both {' and '.join(sorted(ids))}: only one of them answers it"
                if problem not in problems:
                    problems.append(problem)
    return problems


def key_problem(key: str) -> str | None:
    """Why `key` is not a key Textual can bind ("ctrl+s", "f6", "?"), or None when it is."""
    *modifiers, name = key.split("+")
    unknown = [modifier for modifier in modifiers if modifier not in MODIFIERS]
    if unknown:
        return f"{unknown[0]!r} in {key!r} is not a modifier: use ctrl, shift, alt or meta"
    if len(name) == 1 and name.isprintable() and not name.isspace():
        return None
    if name in NAMED_KEYS:
        return None
    if name.lower() in NAMED_KEYS:
        return f"{key!r} is not a key name: write {key.lower()!r}"
    try:
        unicodedata.lookup(name.replace("_", " "))
    except KeyError:
        close = difflib.get_close_matches(name, sorted(NAMED_KEYS), n=1)
        hint = f": did you mean {close[0]!r}?" if close else ""
        return f"{key!r} is not a key name{hint}"
    return None


def usable_keys(keys: Mapping[str, str]) -> tuple[dict[str, str], list[str]]:
    """The entries of `keys` whose keys Textual can bind, and one problem per other entry."""
    keymap: dict[str, str] = {}
    problems: list[str] = []
    for binding_id, value in keys.items():
        entries = [entry.strip() for entry in value.split(",")]
        bad = next((problem for entry in entries if (problem := key_problem(entry) if entry else "an empty key")), None)
        if bad is None:
            keymap[binding_id] = ",".join(entries)
        else:
            problems.append(f"{binding_id}: {bad}")
    return keymap, problems


def unknown_ids(binding_ids: Iterable[str], known_ids: Iterable[str]) -> list[str]:
    """One problem for each of `binding_ids` that no binding has, with the closest known id."""
    known = sorted(known_ids)
    problems: list[str] = []
    for binding_id in binding_ids:
        if binding_id not in known:
            close = difflib.get_close_matches(binding_id, known, n=1)
            hint = f"did you mean {close[0]!r}?" if close else "F1 lists the keys of each screen"
            problems.append(f"no binding has the id {binding_id!r} ({hint})")
    return problems


def keys_message(problems: list[str], source: str, clashes: Iterable[str] = ()) -> str:
    """One message for every entry of `[keys]` left out, and every key given to two
    actions (`key_clashes`), safe to show as it is."""
    parts = ["; ".join(problems) + ". Those actions keep their default keys."] if problems else []
    clashes = list(clashes)
    if clashes:
        parts.append("; ".join(clashes) + ".")
    return printable(f"[keys] in {source}: " + " ".join(parts))


def apply_user_keys(app: App[Any], keys: Mapping[str, str], source: str) -> None:
    """Apply `keys` (from `source`, for the message) with `set_keymap` at once, leaving out
    bad key names; then, off the UI thread (it imports every screen), look for unknown ids
    and show one warning for everything left out."""
    keymap, problems = usable_keys(keys)
    app.set_keymap(keymap)
    app.run_worker(
        partial(_report_problems, app, keymap, problems, source),
        thread=True,
        group="keys",
        exit_on_error=False,
    )


def _report_problems(app: App[Any], applied: dict[str, str], problems: list[str], source: str) -> None:
    problems = problems + unknown_ids(applied, binding_ids([type(app)]))
    clashes = key_clashes(applied, type(app))
    if problems or clashes:
        app.call_from_thread(
            app.notify, keys_message(problems, source, clashes), title="Keys", severity="warning", timeout=20,
            markup=False,
        )

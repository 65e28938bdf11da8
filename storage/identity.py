"""Who is at the keyboard: the name every event, update, edit and sign-off carries.

One rule, `resolve_identity`: `--as NAME`, else `WARROOM_USER`, else `user = "..."` in the
config file, else the login name. The login name is a last resort: the command line uses
it so that a script still runs, while the app asks for a name instead (`Identity.chosen`)
and saves the answer in the config file (`save_user`).
"""

from __future__ import annotations

import contextlib
import getpass
import os
import stat
import tempfile
import tomllib
import unicodedata
from dataclasses import dataclass
from pathlib import Path

from .errors import ConfigError, InvalidInput
from .timeparse import quote_input

__all__ = [
    "ASKED",
    "AS_OPTION",
    "CONFIG",
    "ENV",
    "LOGIN",
    "MAX_NAME_LENGTH",
    "USER_ENV",
    "Identity",
    "check_name",
    "login_name",
    "name_problem",
    "resolve_identity",
    "save_user",
    "toml_string",
]

USER_ENV = "WARROOM_USER"
MAX_NAME_LENGTH = 200
"""The longest name accepted, in characters (after surrounding spaces are removed)."""

AS_OPTION = "--as"
ENV = USER_ENV
CONFIG = "config"
ASKED = "asked"
LOGIN = "login"
"""Where a name came from: `Identity.source`."""

_BIDI_CONTROLS = frozenset(chr(code) for code in (*range(0x202A, 0x202F), *range(0x2066, 0x206A)))


@dataclass(frozen=True)
class Identity:
    """A person's name and where it came from (`--as`, WARROOM_USER, config, asked, login)."""

    name: str
    source: str

    @property
    def chosen(self) -> bool:
        """False when the name is only the login name: nobody has said who they are."""
        return self.source != LOGIN


_BLANK_LETTERS = frozenset("\u115f\u1160\u3164\uffa0\u2800")
"""Letters that draw as nothing (Hangul fillers, the blank Braille pattern)."""


def name_problem(name: str) -> str | None:
    """Why `name` cannot be a person's name, or None when it can."""
    stripped = name.strip()
    if not stripped:
        return "a name cannot be empty"
    for char in stripped:
        category = unicodedata.category(char)
        if category == "Cs":
            return f"{quote_input(name)} holds bytes that are not UTF-8 text: check the terminal's encoding"
        if category in ("Cc", "Zl", "Zp", "Cf") or char in _BIDI_CONTROLS:
            return f"{quote_input(name)} holds a control character: type the name as it should be shown"
    if all(char.isspace() or char in _BLANK_LETTERS for char in stripped):
        return "a name cannot be blank: type the name as it should be shown"
    if len(stripped) > MAX_NAME_LENGTH:
        return f"a name is at most {MAX_NAME_LENGTH} characters; this one has {len(stripped)}"
    return None


def check_name(name: str, where: str) -> str:
    """`name` without surrounding spaces; InvalidInput saying `where` it came from and why
    it cannot be used (empty, a control character or NUL, longer than MAX_NAME_LENGTH)."""
    problem = name_problem(name)
    if problem is not None:
        raise InvalidInput(f"{where}: {problem}")
    return name.strip()


def _from_os(value: str) -> str:
    # Bytes that are not UTF-8 arrive as lone surrogates, which no database stores: show them as U+FFFD.
    return os.fsencode(value).decode("utf-8", errors="replace")


def login_name() -> str:
    """The operating system's login name, "unknown" when there is none usable."""
    try:
        name = _from_os(getpass.getuser())
    except (KeyError, OSError):
        return "unknown"
    return name.strip() if name_problem(name) is None else "unknown"


def resolve_identity(as_name: str | None = None, configured: str | None = None) -> Identity:
    """Who you are: `as_name` (`--as`), else WARROOM_USER (empty counts as unset), else
    `configured` (the config file's `user`, already checked), else the login name.
    InvalidInput when `--as` or WARROOM_USER is not a usable name."""
    if as_name is not None:
        return Identity(check_name(as_name, AS_OPTION), AS_OPTION)
    env = os.environ.get(USER_ENV)
    if env:
        return Identity(check_name(env, USER_ENV), ENV)  # bytes not UTF-8 are refused, as for --as
    if configured is not None:
        return Identity(configured, CONFIG)
    return Identity(login_name(), LOGIN)


_TOML_ESCAPES = {'"': '\\"', "\\": "\\\\", "\b": "\\b", "\t": "\\t", "\n": "\\n", "\f": "\\f", "\r": "\\r"}


def toml_string(text: str) -> str:
    """`text` as a TOML basic string, quotes and backslashes escaped, controls as `\\uXXXX`."""
    out = []
    for char in text:
        if char in _TOML_ESCAPES:
            out.append(_TOML_ESCAPES[char])
        elif ord(char) < 0x20 or ord(char) == 0x7F:
            out.append(f"\\u{ord(char):04X}")
        else:
            out.append(char)
    return '"' + "".join(out) + '"'


_NEW_FILE_HEADER = (
    "# warroom configuration (`warroom config` prints every setting with its default).\n"
    "# Who you are: the author of what you log, unless --as or WARROOM_USER says otherwise.\n"
)


def save_user(path: Path, name: str) -> None:
    """Set `user = "name"` in the config file at `path`.

    A missing file is created private (0600, its folder 0700). An existing one gets the line
    at its top (top-level keys come before any table) and keeps everything else, its mode
    included; it is replaced in one step, so a crash leaves the old or the new file. Refused
    with ConfigError, the file untouched, when it cannot be read or written, is not valid
    TOML, or already sets `user`.
    """
    name = check_name(name, "name")
    line = f"user = {toml_string(name)}\n"
    target = Path(os.path.realpath(path))  # a symlinked config file stays a symlink
    if os.path.islink(path) and not target.exists():
        raise ConfigError(f"{path} is a link to {target}, which does not exist: make the file, or change user there")
    if target.exists():
        info = target.stat()
        if not stat.S_ISREG(info.st_mode):
            raise ConfigError(f"{path} is not a regular file: set user there by hand")
        if not info.st_mode & stat.S_IWUSR:
            raise ConfigError(f"{path} is read-only: set user there by hand, or make it writable")
    try:
        existing: bytes | None = target.read_bytes()
    except (FileNotFoundError, NotADirectoryError):  # created below, or a clear "cannot write"
        existing = None
    except OSError as exc:
        raise ConfigError(f"{path}: cannot read: {exc.strerror or exc}") from None
    if existing is None:
        text = _NEW_FILE_HEADER + line
        mode = 0o600
    else:
        try:
            old = existing.decode("utf-8-sig")
            data = tomllib.loads(old)
        except UnicodeDecodeError as exc:
            raise ConfigError(f"{path}: not UTF-8 text (bad byte at offset {exc.start})") from None
        except tomllib.TOMLDecodeError as exc:
            raise ConfigError(f"{path}: invalid TOML: {exc}") from None
        except ValueError:  # a number too long for int()
            raise ConfigError(f"{path}: invalid TOML: a number is too long to read") from None
        if "user" in data:
            raise ConfigError(f"{path} already sets user: change it there")
        text = line + old
        try:
            mode = stat.S_IMODE(target.stat().st_mode)
        except OSError as exc:
            raise ConfigError(f"{path}: cannot read: {exc.strerror or exc}") from None
    if tomllib.loads(text).get("user") != name:  # never write a file that says something else
        raise ConfigError(f"{path}: the name could not be written as TOML")
    _replace(target, text, mode, shown=path)


def _replace(target: Path, text: str, mode: int, *, shown: Path) -> None:
    """Write `text` to `target` through a temporary file in its folder, then rename it."""
    try:
        target.parent.mkdir(mode=0o700, parents=True, exist_ok=True)
        fd, temporary = tempfile.mkstemp(prefix=".warroom-config-", suffix=".tmp", dir=target.parent)
    except OSError as exc:
        raise ConfigError(f"cannot write {shown}: {exc.strerror or exc}") from None
    try:
        with os.fdopen(fd, "w", encoding="utf-8", newline="") as handle:
            os.fchmod(handle.fileno(), mode)
            handle.write(text)
            handle.flush()
            os.fsync(handle.fileno())
        os.replace(temporary, target)
    except OSError as exc:
        with contextlib.suppress(OSError):
            os.unlink(temporary)
        raise ConfigError(f"cannot write {shown}: {exc.strerror or exc}") from None

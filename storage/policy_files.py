"""Finding and reading config files: the packaged defaults, the user's file (or
WARROOM_CONFIG, or `--config`), TOML parsed with one-line errors, tables merged."""

from __future__ import annotations

import os
import sys
import tomllib
from collections.abc import Mapping
from importlib import resources
from pathlib import Path
from typing import Any

import platformdirs

from .errors import ConfigError

APP_NAME = "warroom"
CONFIG_ENV = "WARROOM_CONFIG"
DEFAULT_CONFIG_NAME = "default_config.toml"


def default_config_text() -> str:
    """The text of the packaged default config file (a commented, copyable example)."""
    return resources.files(__package__).joinpath(DEFAULT_CONFIG_NAME).read_text(encoding="utf-8")


def user_config_file() -> Path:
    """Where the user's config file is looked for when WARROOM_CONFIG is not set."""
    return Path(platformdirs.user_config_dir(APP_NAME)) / "config.toml"


def resolve_config_path(path: Path | None = None) -> Path | None:
    """The config file to read, or None for defaults only.

    An explicit `path` must exist; otherwise WARROOM_CONFIG (if set, it must exist),
    otherwise `user_config_file()` if it exists.
    """
    if path is not None:
        chosen = Path(path).expanduser()
        _require_file(chosen, f"{chosen}: config file not found")
        return chosen
    env = os.environ.get(CONFIG_ENV)
    if env:
        chosen = Path(env).expanduser()
        _require_file(chosen, f"{CONFIG_ENV}={env}: config file not found")
        return chosen
    chosen = user_config_file()
    try:
        present = chosen.exists()
    except OSError as exc:
        raise ConfigError(f"{chosen}: cannot read: {exc.strerror or exc}") from None
    if present:
        _require_file(chosen, f"{chosen}: config file not found")
        return chosen
    return None


def _require_file(path: Path, missing: str) -> None:
    try:
        if not path.exists():
            raise ConfigError(missing)
        if not path.is_file():
            raise ConfigError(f"{path}: not a file")
    except OSError as exc:  # a directory on the way that this user may not enter
        raise ConfigError(f"{path}: cannot read: {exc.strerror or exc}") from None



def read_toml(path: Path) -> dict[str, Any]:
    try:
        raw = path.read_bytes()
    except OSError as exc:
        raise ConfigError(f"{path}: cannot read: {exc.strerror or exc}") from None
    try:
        text = raw.decode("utf-8-sig")
    except UnicodeDecodeError as exc:
        raise ConfigError(f"{path}: not UTF-8 text (bad byte at offset {exc.start})") from None
    return parse_toml(text, str(path))


def parse_toml(text: str, label: str) -> dict[str, Any]:
    try:
        return tomllib.loads(text)
    except tomllib.TOMLDecodeError as exc:
        raise ConfigError(f"{label}: invalid TOML: {exc}") from None
    except RecursionError:
        raise ConfigError(f"{label}: invalid TOML: arrays or tables nested too deeply") from None
    except ValueError:  # tomllib reads a number with int(), which refuses more than 4,300 digits
        raise ConfigError(f"{label}: invalid TOML: {TOML_NUMBER_TOO_LONG}") from None


TOML_NUMBER_TOO_LONG = f"a number is too long to read (more than {sys.get_int_max_str_digits():,} digits)"
"""Why a TOML file holding a number of thousands of digits is refused."""


def merge_tables(base: Mapping[str, Any], over: Mapping[str, Any]) -> dict[str, Any]:
    """Deep-merge `over` into a copy of `base`: tables recursively, anything else replaced."""
    out = dict(base)
    for key, value in over.items():
        if isinstance(value, dict) and isinstance(out.get(key), dict):
            out[key] = merge_tables(out[key], value)
        else:
            out[key] = value
    return out

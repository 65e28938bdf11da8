"""The organisation's incident rules: severities, cadences, roles, naming, deadlines
and the templates of the messages sent during an incident.

Defaults live in the packaged `default_config.toml`; a user's TOML file is merged over
them key by key (see `load_policy`). Every problem in a config file is reported as a
one-line `ConfigError` naming the file and the dotted field.

The work is split by job: `policy_model` (the rules as dataclasses), `policy_files`
(finding, reading and merging files) and `policy_check` (validation). Everything is
importable from here.
"""

from __future__ import annotations

from pathlib import Path

from .policy_check import PolicyBuilder
from .policy_files import (
    APP_NAME,
    CONFIG_ENV,
    DEFAULT_CONFIG_NAME,
    TOML_NUMBER_TOO_LONG,
    default_config_text,
    merge_tables,
    parse_toml,
    read_toml,
    resolve_config_path,
    user_config_file,
)
from .policy_model import (
    FOLLOW_UP_MAX,
    MESSAGE_KINDS,
    MESSAGE_PLACEHOLDERS,
    REFERENCE_PLACEHOLDERS,
    ROLE_KEY_MAX,
    TITLE_PLACEHOLDERS,
    Deadline,
    MessageKind,
    MessageTemplate,
    Naming,
    Policy,
    Process,
    RolePolicy,
    SeverityPolicy,
)

__all__ = [
    "APP_NAME",
    "CONFIG_ENV",
    "DEFAULT_CONFIG_NAME",
    "FOLLOW_UP_MAX",
    "MESSAGE_KINDS",
    "MESSAGE_PLACEHOLDERS",
    "REFERENCE_PLACEHOLDERS",
    "ROLE_KEY_MAX",
    "TITLE_PLACEHOLDERS",
    "TOML_NUMBER_TOO_LONG",
    "Deadline",
    "MessageKind",
    "MessageTemplate",
    "Naming",
    "Policy",
    "Process",
    "RolePolicy",
    "SeverityPolicy",
    "default_config_text",
    "load_policy",
    "resolve_config_path",
    "user_config_file",
]


def load_policy(path: Path | None = None) -> Policy:
    """Load the defaults, merge the user's config file over them and validate the result.

    Tables merge key by key (arrays and other values are replaced whole), so a file with
    only `[severity.SEV1] checkin = "15m"` changes just that cadence; a new table such as
    `[severity.SEV4]` or `[roles.comms]` adds an entry, which must then set every required
    key. See `resolve_config_path` for which file is read. Raises ConfigError.
    """
    data = parse_toml(default_config_text(), DEFAULT_CONFIG_NAME)
    label = DEFAULT_CONFIG_NAME
    source = resolve_config_path(path)
    if source is not None:
        label = str(source)
        data = merge_tables(data, read_toml(source))
    return PolicyBuilder(label).policy(data, source)


"""Messages sent out through a command the config names, with no vendor in between.

`[send.internal]` or `[send.status_page]` in the config gives a program and its arguments
(`["sendmail", "-t"]`, a chat tool, `curl` to a webhook); `send` runs it with the composed
message on its standard input (the configured headers, `Subject:`, a blank line, the body)
and the message's facts in its environment (`WARROOM_REF`, `WARROOM_KIND`,
`WARROOM_CHANNEL`, `WARROOM_SUBJECT`), never through a shell. Only when it exits with
status 0 within its time is the update recorded as sent; otherwise nothing is recorded and
the failure says why (the exit status and the end of what it wrote to stderr). A channel
with no command is recorded as sent, as before: the message went out by hand.
"""

from __future__ import annotations

import contextlib
import os
import signal
import subprocess
import tempfile
from dataclasses import dataclass
from typing import IO

from storage import comms
from storage.comms import Draft
from storage.db import Store
from storage.errors import WarroomError
from storage.models import StatusUpdate
from storage.policy_model import SendCommand
from storage.text import printable

SHOWN_OUTPUT = 300
"""How much of a command's stderr (or stdout) a message quotes, from its end."""


class SendFailed(WarroomError):
    """The channel's send command did not send the message: nothing was recorded."""


@dataclass(frozen=True)
class Sent:
    """An update recorded as sent, and what the send command said (None: no command ran)."""

    update: StatusUpdate
    said: str | None = None


def message_text(draft: Draft, sender: SendCommand) -> str:
    """The message as the command reads it: headers, `Subject:`, a blank line, the body.
    A header's value is one line: a line break in the subject (or a header) becomes a space,
    so that no text of the record can add a header of its own."""
    lines = [f"{name}: {_one_line(value)}" for name, value in sender.headers]
    lines.append(f"Subject: {_one_line(draft.subject)}")
    return "\n".join(lines) + "\n\n" + draft.body.rstrip("\n") + "\n"


def _one_line(text: str) -> str:
    return " ".join(text.replace("\x00", "").splitlines()).strip()


def run_command(sender: SendCommand, draft: Draft, ref: str, channel: str) -> str:
    """Run `sender` with the message on its standard input; what it wrote to stdout
    (shown, shortened). Raises SendFailed when it cannot be run, fails or takes too long."""
    program = sender.command[0]
    environment = {
        **os.environ, "WARROOM_REF": ref, "WARROOM_KIND": draft.kind, "WARROOM_CHANNEL": channel,
        "WARROOM_SUBJECT": _one_line(draft.subject),
    }
    seconds = sender.timeout.total_seconds()
    named = f"the {channel} send command {printable(program)!r}"
    with tempfile.TemporaryFile() as stdin, tempfile.TemporaryFile() as stdout, tempfile.TemporaryFile() as stderr:
        stdin.write(message_text(draft, sender).encode())
        stdin.seek(0)
        try:  # (files, not pipes: a job the command leaves running cannot hold it open, nor its output fill memory)
            process = subprocess.Popen(
                list(sender.command), stdin=stdin, stdout=stdout, stderr=stderr, env=environment,
                start_new_session=True,
            )
        except FileNotFoundError:
            raise SendFailed(f"{named} was not found: not sent") from None
        except PermissionError:
            raise SendFailed(f"{named} cannot be run (permission): not sent") from None
        except OSError as exc:
            raise SendFailed(f"{named} could not start: {exc.strerror}") from None
        try:
            status = process.wait(timeout=seconds)
        except subprocess.TimeoutExpired:
            with contextlib.suppress(ProcessLookupError):
                os.killpg(process.pid, signal.SIGKILL)  # (it and what it started)
            process.wait()
            raise SendFailed(
                f"{named} did not finish within {seconds:g} s and was stopped: not recorded as sent "
                "(it may have sent it: check before sending again)"
            ) from None
        said, complaint = _tail(stdout), _tail(stderr)
    if status != 0:
        shown = complaint or said or "nothing on stderr"
        how = f"status {status}" if status > 0 else f"signal {-status}"
        raise SendFailed(f"{named} failed ({how}): {shown}; not sent")
    return said


def _tail(output: IO[bytes]) -> str:
    """The end of what a command wrote to file `output`, shown."""
    output.seek(max(0, output.seek(0, os.SEEK_END) - 4 * SHOWN_OUTPUT))
    text = output.read().decode("utf-8", errors="replace").strip()
    if len(text) > SHOWN_OUTPUT:
        text = "…" + text[-SHOWN_OUTPUT:]
    return printable(text)


def send(store: Store, ref: str, draft: Draft, *, author: str | None = None) -> Sent:
    """Send `draft` through its channel's command, if the config names one, then record it
    as sent (`comms.send_message`). A command that fails records nothing (SendFailed)."""
    sender = store.policy.senders.get(draft.channel)
    said = run_command(sender, draft, ref, draft.channel) if sender is not None else None
    return Sent(comms.send_message(store, ref, draft, author=author), said)

"""Security of what warroom writes: private files, and an imported file that cannot make
warroom write anywhere but its database. The scan for SQL built from strings and the
outbox names are in tests/test_security.py."""

from __future__ import annotations

import json
import os
import stat
from pathlib import Path

import pytest
from click.testing import CliRunner

from storage import export
from storage.clock import FrozenClock
from storage.db import Store
from storage.demo import build_demo
from storage.drafts import Drafts, PendingLine, drafts_dir, write_outbox
from storage.policy import Policy
from tests.conftest import NOW
from tui.cli import main


def test_database_drafts_and_exports_are_private(tmp_path: Path, policy: Policy, clock: FrozenClock) -> None:
    with Store(tmp_path / "w.db", policy=policy, clock=clock) as store:
        ref = build_demo(store)
        drafts = Drafts(store.url)
        drafts.save(ref, "half a line")
        drafts.save_pending(ref, [PendingLine("entered", NOW)])
    outbox = write_outbox("update", "text")
    runner = CliRunner()
    for fmt in ("json", "md"):
        out = tmp_path / f"export.{fmt}"
        assert runner.invoke(main, ["export", "--db", str(tmp_path / "w.db"), ref, "--format", fmt, "-o", str(out)]).exit_code == 0
        assert stat.S_IMODE(out.stat().st_mode) == 0o600
    files = [tmp_path / "w.db", outbox, *drafts_dir().iterdir()]
    assert len(files) >= 4
    for path in files:
        assert stat.S_IMODE(path.stat().st_mode) == 0o600, path
    assert stat.S_IMODE(drafts_dir().stat().st_mode) == 0o700


def _tree(root: Path) -> dict[str, bytes]:
    return {
        str(path.relative_to(root)): path.read_bytes()
        for path in root.rglob("*")
        if path.is_file()
    }


@pytest.mark.parametrize(
    "hostile",
    ["../../../../tmp/warroom-owned", "/tmp/warroom-owned", "~/owned", "..", "a\x00b", "C:\\owned", "file:///tmp/owned"],
)
def test_an_imported_file_writes_nothing_outside_the_database(
    tmp_path: Path, policy: Policy, clock: FrozenClock, monkeypatch: pytest.MonkeyPatch, hostile: str
) -> None:
    with Store(tmp_path / "source.db", policy=policy, clock=clock) as store:
        document = json.loads(export.export_json(store, build_demo(store)))
    document["incident"]["ref"] = hostile
    document["incident"]["title"] = hostile
    for event in document["timeline"]:
        event["text"] = hostile
        event["link"] = hostile
    work = tmp_path / "work"
    work.mkdir()
    monkeypatch.chdir(work)
    imported = work / "incident.json"
    imported.write_text(json.dumps(document))
    home = Path(os.environ["HOME"])
    before_home, before_work = _tree(home), _tree(work)
    target = work / "target.db"
    result = CliRunner().invoke(main, ["import", "--db", str(target), str(imported)])
    assert result.exit_code in (0, 1), result.output
    after_work = _tree(work)
    changed = {name for name in set(after_work) | set(before_work) if after_work.get(name) != before_work.get(name)}
    assert changed <= {"target.db", "target.db-wal", "target.db-shm"}
    assert _tree(home) == before_home
    assert not Path("/tmp/warroom-owned").exists() and not Path("/tmp/owned").exists()

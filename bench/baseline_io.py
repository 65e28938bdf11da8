"""The baselines of `warroom export` and `warroom import`: the least either does, with stdlib only.

    python bench/baseline_io.py export DB REF OUT      sqlite3 read of REF's events, json.dumps to OUT
    python bench/baseline_io.py import FILE SCHEMA DB  json.load of an export, its events inserted
                                                       with executemany into a new DB made with
                                                       SCHEMA's tables (a warroom database)
"""

from __future__ import annotations

import json
import sqlite3
import sys

COLUMNS = ("seq", "occurred_at", "logged_at", "kind", "text", "author", "link", "key", "detail", "struck")


def export(db: str, ref: str, out: str) -> None:
    connection = sqlite3.connect(db)
    cursor = connection.execute(
        f"SELECT {', '.join('e.' + name for name in COLUMNS)} FROM event e JOIN incident i ON i.id = e.incident_id"
        " WHERE i.ref = ? ORDER BY e.occurred_at, e.seq",
        (ref,),
    )
    rows = [dict(zip(COLUMNS, row, strict=True)) for row in cursor]
    with open(out, "w", encoding="utf-8") as file:
        file.write(json.dumps({"timeline": rows}, indent=2, ensure_ascii=False) + "\n")
    connection.close()


def import_(path: str, schema: str, db: str) -> None:
    with open(path, encoding="utf-8") as file:
        document = json.load(file)
    source = sqlite3.connect(schema)
    tables = [sql for (sql,) in source.execute("SELECT sql FROM sqlite_master WHERE sql IS NOT NULL")]
    source.close()
    connection = sqlite3.connect(db, isolation_level=None)
    connection.execute("PRAGMA journal_mode = WAL")
    connection.execute("PRAGMA synchronous = FULL")
    connection.execute("BEGIN IMMEDIATE")
    for sql in tables:
        connection.execute(sql)
    connection.executemany(
        "INSERT INTO event (incident_id, seq, occurred_at, logged_at, author, kind, text, link, \"key\", detail,"
        " struck, revision, change_number) VALUES (1, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, 1, 0)",
        (
            (e["seq"], e["at"], e["logged_at"], e["author"], e["kind"], e["text"], e["link"], e["key"], e["detail"],
             e["struck"])
            for e in document["timeline"]
        ),
    )
    connection.execute("COMMIT")
    connection.close()


if __name__ == "__main__":
    if sys.argv[1] == "export":
        export(*sys.argv[2:5])
    elif sys.argv[1] == "import":
        import_(*sys.argv[2:5])
    else:
        raise SystemExit(f"unknown baseline {sys.argv[1]!r}")

"""The other process of the refresh benchmark: log lines to an incident, say when each committed.

    python bench/refresh_writer.py DB_PATH_OR_URL REF COUNT SEED

Opens the record, prints `ready` and waits for a line on stdin; then logs COUNT lines
`bench refresh line N`, spaced 0.1-0.4 s apart at random, and after each `ops.log`
returns (the commit done) prints `N WALL_CLOCK_TIME`. Ends with `done`.
"""

from __future__ import annotations

import random
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

LINE = "bench refresh line {}"
"""The text logged for line N (a plain note: the grammar leaves it as it is)."""


def main(db: str, ref: str, count: int, seed: int) -> None:
    """Log `count` lines to `ref`, printing each one's commit time (time.time())."""
    from storage import ops
    from storage.db import Store

    rng = random.Random(seed)
    with Store(db) as store:
        print("ready", flush=True)
        sys.stdin.readline()
        for number in range(count):
            time.sleep(rng.uniform(0.1, 0.4))
            ops.log(store, ref, LINE.format(number), author="bench writer")
            print(f"{number} {time.time()!r}", flush=True)
    print("done", flush=True)


if __name__ == "__main__":
    main(sys.argv[1], sys.argv[2], int(sys.argv[3]), int(sys.argv[4]))

"""Import speed: a 100,000-row cases file into a fresh SQLite database, then the same file again.

Run: ``.venv/bin/python bench/bench_import.py [ROWS]``. Not a test; prints rows per second.
"""

from __future__ import annotations

import random
import sys
import tempfile
import time
from datetime import date, timedelta
from pathlib import Path

from legalaid import migrate
from legalaid.config import Settings
from legalaid.importing import import_file, kind_headers, write_csv
from legalaid.runtime import build_runtime

GROUPS = ["migrant_worker", "disabled", "minor", "elderly", "military", "women"]


def generate(folder: Path, rows: int, seed: int = 2012) -> tuple[Path, Path, Path]:
    """Firms, people and a cases file of ``rows`` cases at every stage, deterministic for a seed."""
    rng = random.Random(seed)
    firms = [f"F{n:02d}" for n in range(1, 21)]
    lawyers = [f"L{n:03d}" for n in range(1, 201)]
    firms_csv, people_csv, cases_csv = folder / "firms.csv", folder / "people.csv", folder / "cases.csv"
    write_csv(
        firms_csv,
        kind_headers("firms"),
        ({"code": code, "name": f"律师事务所 {code}", "kind": "law_firm"} for code in firms),
    )
    write_csv(
        people_csv,
        kind_headers("people"),
        ({"code": c, "name": f"律师{c}", "firm": rng.choice(firms), "role": "lawyer"} for c in lawyers),
    )

    def case(n: int) -> dict[str, object]:
        applied = date(2008, 1, 1) + timedelta(days=rng.randrange(5 * 365))
        row: dict[str, object] = {
            "case_no": f"2012援{n:06d}",
            "case_type": rng.choice(["civil", "civil", "criminal", "administrative"]),
            "matter": "劳动报酬",
            "applicant": f"受援人{n}",
            "applicant_groups": rng.sample(GROUPS, rng.randrange(3)),
            "intake": rng.choice(["center", "arbitration_desk", "workstation", *firms[:3]]),
            "applied_on": applied,
        }
        steps = ["decided_on", "assigned_on", "first_contact_on", "last_progress_on", "ended_on"]
        day = applied
        for step in steps[: rng.randrange(len(steps) + 1)]:
            day += timedelta(days=rng.randrange(1, 20))
            row[step] = day
        if "decided_on" in row:
            row["decision"] = "granted"
        if "assigned_on" in row:
            row["lawyer"] = rng.choice(lawyers)
        return row

    write_csv(cases_csv, kind_headers("cases"), (case(n) for n in range(rows)))
    return firms_csv, people_csv, cases_csv


def main() -> None:
    rows = int(sys.argv[1]) if len(sys.argv) > 1 else 100_000
    with tempfile.TemporaryDirectory() as tmp:
        folder = Path(tmp)
        firms_csv, people_csv, cases_csv = generate(folder, rows)
        rt = build_runtime(Settings(data_dir=folder / "var"))
        migrate.upgrade(rt.engine)
        import_file(rt, "firms", firms_csv)
        import_file(rt, "people", people_csv)
        size = cases_csv.stat().st_size / 1e6
        print(f"{cases_csv.name}: {rows} rows, {size:.1f} MB")
        for label in ("first import", "second import (unchanged)"):
            started = time.perf_counter()
            result = import_file(rt, "cases", cases_csv)
            seconds = time.perf_counter() - started
            print(f"{label}: {seconds:.1f} s, {rows / seconds:,.0f} rows/s — {result.summary()}")
        rt.dispose()


if __name__ == "__main__":
    main()

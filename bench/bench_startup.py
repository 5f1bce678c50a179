"""Start-up time of the command line against its floor, side by side, in one run with one interpreter.

The floor is what every command must import anyway: SQLAlchemy's ORM, pydantic-settings and typer. The goal
(issue 11) is ``legalaid --help`` and ``legalaid config`` within 1.5 times of it. Each command runs in a
fresh subprocess, the three interleaved so that a busy moment of the machine falls on all of them alike;
the median of the repetitions is reported.

Run: ``.venv/bin/python bench/bench_startup.py [REPETITIONS]``. Not a test; prints seconds and ratios.
"""

from __future__ import annotations

import os
import statistics
import subprocess
import sys
import tempfile
import time

FLOOR = "import sqlalchemy.orm, pydantic_settings, typer.main"
GOAL = 1.5

# What each line runs, after the interpreter: the floor, then the commands as `legalaid` runs them.
COMMANDS: dict[str, list[str]] = {
    "floor": ["-c", FLOOR],
    "legalaid --help": ["-m", "cli", "--help"],
    "legalaid config": ["-m", "cli", "config"],
}


def once(args: list[str], cwd: str, env: dict[str, str]) -> float:
    """Seconds one subprocess takes from start to exit; a failure stops the bench."""
    started = time.perf_counter()
    subprocess.run([sys.executable, *args], cwd=cwd, env=env, check=True, stdout=subprocess.DEVNULL)
    return time.perf_counter() - started


def main(repetitions: int = 15) -> None:
    # An empty folder: no legalaid.toml of the developer's, the default settings (no database is opened).
    with tempfile.TemporaryDirectory() as folder:
        env = {**os.environ, "COLUMNS": "100"}
        for args in COMMANDS.values():  # warm the file cache and the .pyc files first
            once(args, folder, env)
        times: dict[str, list[float]] = {name: [] for name in COMMANDS}
        for _ in range(repetitions):
            for name, args in COMMANDS.items():
                times[name].append(once(args, folder, env))
    medians = {name: statistics.median(values) for name, values in times.items()}
    floor = medians["floor"]
    print(f"{repetitions} runs each, median, {sys.executable} (Python {sys.version.split()[0]})")
    for name, seconds in medians.items():
        ratio = seconds / floor
        verdict = "" if name == "floor" else ("  ok" if ratio <= GOAL else f"  over {GOAL}x")
        print(f"{name:<18} {seconds:6.3f} s  {ratio:4.2f}x floor{verdict}")


if __name__ == "__main__":
    main(int(sys.argv[1]) if len(sys.argv) > 1 else 15)

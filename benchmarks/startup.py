"""Benchmark of start-up: `testigo --help` and `import testigo`, against a bare interpreter in the same run.

The public Python API is re-exported lazily from `testigo/__init__.py`, so
importing the package (and so every command, `--help` included) must not pay
for NumPy, OpenCV, SQLAlchemy or PyArrow. Each command runs `--runs` times
(default 15) in a fresh process, the commands taking turns so that a busy
moment of the machine falls on all of them, after one unmeasured warm-up run
each; the median wall time is printed with its excess over ``python -c pass``
measured the same way, so a slow machine shows up in the baseline rather than
as a regression.

Target: `testigo --help` under 0.5 s.

``testigo`` is the console script installed beside this interpreter, else
``python -m testigo``. The working tree's ``src/`` is put first on the path,
so the figures are this checkout's.

Run: ``python benchmarks/startup.py [--runs N]``. Takes a few seconds.
"""

from __future__ import annotations

import argparse
import os
import statistics
import subprocess
import sys
import time
from pathlib import Path

HELP_TARGET_S = 0.5
SRC = Path(__file__).resolve().parents[1] / "src"


def testigo_command() -> list[str]:
    """The installed console script beside this interpreter (what a user types), else ``python -m testigo``."""
    script = Path(sys.executable).with_name("testigo")
    return [str(script), "--help"] if script.is_file() else [sys.executable, "-m", "testigo", "--help"]


def median_seconds(commands: dict[str, list[str]], runs: int, env: dict[str, str]) -> dict[str, float]:
    """Median wall time of each command in a fresh process over `runs` turns, after one warm-up run each."""
    times: dict[str, list[float]] = {name: [] for name in commands}
    for turn in range(runs + 1):
        for name, command in commands.items():
            start = time.perf_counter()
            subprocess.run(command, env=env, check=True, capture_output=True)
            if turn:
                times[name].append(time.perf_counter() - start)
    return {name: statistics.median(seconds) for name, seconds in times.items()}


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--runs", type=int, default=15, help="runs of each command (median reported)")
    args = parser.parse_args()
    env = {**os.environ, "PYTHONPATH": os.pathsep.join(p for p in (str(SRC), os.environ.get("PYTHONPATH")) if p)}
    commands = {
        "python -c pass": [sys.executable, "-c", "pass"],
        "python -c 'import testigo'": [sys.executable, "-c", "import testigo"],
        "testigo --help": testigo_command(),
    }
    figures = median_seconds(commands, args.runs, env)
    baseline = figures["python -c pass"]
    print(f"median of {args.runs} runs each, in fresh processes ({sys.executable})")
    for name, seconds in figures.items():
        excess = "" if name == "python -c pass" else f"  ({(seconds - baseline) * 1000:+.0f} ms over the baseline)"
        print(f"  {name:<28} {seconds * 1000:7.1f} ms{excess}")
    verdict = "meets" if figures["testigo --help"] < HELP_TARGET_S else "MISSES"
    print(f"testigo --help {verdict} its target of {HELP_TARGET_S:.1f} s")
    return 0


if __name__ == "__main__":
    sys.exit(main())

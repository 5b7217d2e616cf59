"""Benchmark: PostgreSQL -> PostgreSQL only; `bench/run.py --targets pg --no-dlt`.

Kept so the older command keeps working; every other argument (such as
`--rows 1000000` or `--repeat 1`) is passed on to `bench/run.py`.
"""

from __future__ import annotations

import runpy
import sys
from pathlib import Path

if __name__ == "__main__":
    run = Path(__file__).with_name("run.py")
    sys.argv = [str(run), "--targets", "pg", "--no-dlt", *sys.argv[1:]]
    runpy.run_path(str(run), run_name="__main__")

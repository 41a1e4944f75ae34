"""The benchmark keeps running (it validates a real signed response in both modes)."""

import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[3]


def test_bench_runs_and_reports_both_modes():
    result = subprocess.run(
        [sys.executable, "-m", "bench", "--iterations", "3", "--rounds", "1"],
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )
    assert result.returncode == 0, result.stderr
    assert "without schema cache:" in result.stdout
    assert "with schema cache:" in result.stdout
    assert "speed-up:" in result.stdout

"""Timing and reporting shared by the benchmarks: samples, best/median, one table for the run."""

import statistics
import time
from collections.abc import Callable
from dataclasses import dataclass, field


@dataclass
class Samples:
    """Seconds per operation, one sample per timed operation (or per timed batch).

    ``seconds`` is wall-clock time (perf_counter); ``cpu_seconds`` the CPU this process spent
    (process_time), which leaves out waiting for the disk or the database server.
    """

    seconds: list[float] = field(default_factory=list)
    cpu_seconds: list[float] = field(default_factory=list)

    def add(self, seconds: float, cpu_seconds: float) -> None:
        self.seconds.append(seconds)
        self.cpu_seconds.append(cpu_seconds)

    def time(self, operation: Callable[[], object]) -> object:
        start, cpu = time.perf_counter(), time.process_time()
        result = operation()
        self.add(time.perf_counter() - start, time.process_time() - cpu)
        return result

    @property
    def best_ms(self) -> float:
        return min(self.seconds) * 1000

    @property
    def median_ms(self) -> float:
        return statistics.median(self.seconds) * 1000

    @property
    def cpu_median_ms(self) -> float:
        return statistics.median(self.cpu_seconds) * 1000

    @property
    def per_second(self) -> float:
        return 1000 / self.median_ms


@dataclass(frozen=True)
class Row:
    """One line of the table. The baseline row of a group is what the others are compared with."""

    group: str
    case: str
    samples: Samples
    baseline: bool = False
    floor: bool = False  # the bare-framework floor: every row of the group is also compared with it


@dataclass
class Report:
    title: str
    rows: list[Row] = field(default_factory=list)
    notes: list[str] = field(default_factory=list)

    def row(self, group: str, case: str, samples: Samples, *, baseline: bool = False, floor: bool = False) -> None:
        self.rows.append(Row(group, case, samples, baseline, floor))

    def note(self, text: str) -> None:
        self.notes.append(text)


def _ratio(row: Row, baseline: Row | None) -> str:
    if baseline is None:
        return ""
    if row is baseline:
        return "baseline"
    ratio = baseline.samples.median_ms / row.samples.median_ms
    return f"{ratio:.2f}x" if ratio >= 1 else f"{1 / ratio:.2f}x slower"


def _floor_ratio(row: Row, floor: Row | None) -> str:
    if floor is None:
        return ""
    if row is floor:
        return "floor"
    return f"{row.samples.median_ms / floor.samples.median_ms:.2f}x floor"


def table(report: Report) -> str:
    """The report as a plain-text table: wall-clock best and median, median CPU, operations per
    second from the wall-clock median, the ratio of medians against the group's baseline row and,
    where the group has a floor row, each median as a multiple of the floor's."""
    headers = ("case", "n", "best ms", "median ms", "cpu ms", "per sec", "vs baseline", "vs floor")
    lines = []
    widths = [max(len(headers[0]), *(len(r.case) for r in report.rows)) if report.rows else len(headers[0])]
    fmt = f"  {{:<{widths[0]}}}  {{:>5}}  {{:>9}}  {{:>9}}  {{:>7}}  {{:>9}}  {{:>13}}  {{:>12}}"
    lines.append(report.title)
    lines.append(fmt.format(*headers))
    group = None
    for row in report.rows:
        if row.group != group:
            group = row.group
            lines.append(f"  [{group}]")
        baseline = next((r for r in report.rows if r.group == row.group and r.baseline), None)
        floor = next((r for r in report.rows if r.group == row.group and r.floor), None)
        s = row.samples
        lines.append(
            fmt.format(
                row.case,
                len(s.seconds),
                f"{s.best_ms:.2f}",
                f"{s.median_ms:.2f}",
                f"{s.cpu_median_ms:.2f}" if any(s.cpu_seconds) else "-",
                f"{s.per_second:.1f}",
                _ratio(row, baseline),
                _floor_ratio(row, floor),
            )
        )
    lines.extend(f"  * {note}" for note in report.notes)
    return "\n".join(lines)

"""Draw docs/performance/*.png from the figures the live benchmarks saved in var/bench/*.json.

    python -m bench.charts            (make bench runs it last)

latency-vs-users.png   median ms of each SCIM call against the account's size, sparksso and django-scim2
sign-in-layers.png     where a sign-in's time goes, sparksso's ACS and the strict python3-saml SP
load-throughput.png    successful requests per second over the load test
"""

import json
import statistics
from pathlib import Path

import matplotlib

matplotlib.use("Agg")  # files only, no display
import matplotlib.pyplot as plt  # noqa: E402

from bench import layers as layer_split  # noqa: E402
from bench.scim_ops import LABELS  # noqa: E402
from bench.timing import Samples  # noqa: E402

ROOT = Path(__file__).resolve().parent.parent
RESULTS = ROOT / "var" / "bench"
OUT = ROOT / "docs" / "performance"
SHOWN = ("post", "username_eq", "emails_eq", "page_first", "page_last", "patch_inactive", "put")
COLOURS = dict(zip(SHOWN, ("#1f77b4", "#d62728", "#ff7f0e", "#2ca02c", "#9467bd", "#8c564b", "#7f7f7f"), strict=True))


def _load() -> dict[str, dict]:
    return {p.stem: json.loads(p.read_text()) for p in sorted(RESULTS.glob("*.json"))}


def latency_vs_users(results: dict[str, dict], path: Path) -> Path | None:
    panels = [(r["scale"]["database"], r["scale"]["sizes"]) for r in results.values() if "scale" in r]
    if not panels:
        return None
    fig, axes = plt.subplots(1, len(panels), figsize=(6.5 * len(panels), 5), squeeze=False)
    for ax, (database, sizes) in zip(axes[0], panels, strict=True):
        x = [s["size"] for s in sizes]
        for server, style in (("sparksso", "-"), ("django-scim2", "--")):
            for op in SHOWN:
                y = [statistics.median(s["seconds"][server][op]) * 1000 for s in sizes]
                label = f"{server}: {LABELS[op]}"
                ax.plot(x, y, style, marker="o", color=COLOURS[op], label=label, linewidth=1.6, markersize=4)
        ax.set_xscale("log")
        ax.set_yscale("log")
        ax.set_xticks(x, [f"{n:,}" for n in x])
        ax.set_xlabel("users in the account")
        ax.set_ylabel("median ms per request (log)")
        ax.set_title(f"SCIM latency against account size, {database}")
        ax.grid(True, which="both", alpha=0.3)
    handles, labels = axes[0][0].get_legend_handles_labels()
    fig.legend(handles, labels, loc="lower center", ncol=4, fontsize=7, frameon=False)
    fig.tight_layout(rect=(0, 0.14, 1, 1))
    fig.savefig(path, dpi=110)
    plt.close(fig)
    return path


def sign_in_layers(results: dict[str, dict], path: Path) -> Path | None:
    runs = [r["peers"] for r in results.values() if "peers" in r]
    if not runs:
        return None

    def samples(seconds: list[float]) -> Samples:
        return Samples(seconds=list(seconds), cpu_seconds=[0.0] * len(seconds))

    raw = runs[0]
    signin = {k: samples(v) for k, v in raw["sign_in"].items()}
    signin["validation"] = {k: samples(v) for k, v in raw["validation"].items()}
    layers = layer_split.sign_in_layers(signin)
    fig, ax = plt.subplots(figsize=(9, 3.2))
    colours = ("#9e9e9e", "#1f77b4", "#ff7f0e")
    for row, parts in enumerate(layers.values()):
        left = 0.0
        for (label, ms), colour in zip(parts.items(), colours, strict=False):
            ax.barh(row, ms, left=left, color=colour, edgecolor="white")
            if ms > 0.12 * max(sum(p.values()) for p in layers.values()):
                ax.text(left + ms / 2, row, f"{label}\n{ms:.1f} ms", ha="center", va="center", fontsize=7)
            left += ms
        ax.text(left + 0.2, row, f"{left:.1f} ms", va="center", fontsize=8)
    ax.set_yticks(range(len(layers)), list(layers))
    ax.set_xlabel("ms per sign-in, least disturbed sample of each layer (one sequential client, 1 worker)")
    ax.set_title("A whole IdP-initiated sign-in, by layer (same signed responses to both)")
    ax.invert_yaxis()
    fig.tight_layout()
    fig.savefig(path, dpi=110)
    plt.close(fig)
    return path


def load_throughput(results: dict[str, dict], path: Path) -> Path | None:
    runs = [r["load"] for r in results.values() if "load" in r]
    if not runs:
        return None
    fig, ax = plt.subplots(figsize=(9, 3.5))
    for run in runs:
        timeline = run["timeline"][:-1] or run["timeline"]  # the last second is partial
        ax.plot(range(len(timeline)), timeline, label=f"{run['database']}, {run['workers']} workers")
        ax.axhline(run["throughput"], linestyle=":", color="#555555")
    ax.set_xlabel("seconds since the start")
    ax.set_ylabel("successful requests per second")
    ax.set_ylim(bottom=0)
    ax.set_title(f"Load: {runs[0]['clients']} concurrent clients, sign-ins and SCIM calls mixed")
    ax.legend(fontsize=8)
    ax.grid(True, alpha=0.3)
    fig.tight_layout()
    fig.savefig(path, dpi=110)
    plt.close(fig)
    return path


def main() -> None:
    OUT.mkdir(parents=True, exist_ok=True)
    results = _load()
    for draw, name in (
        (latency_vs_users, "latency-vs-users.png"),
        (sign_in_layers, "sign-in-layers.png"),
        (load_throughput, "load-throughput.png"),
    ):
        drawn = draw(results, OUT / name)
        print(f"{'drew' if drawn else 'no figures yet for'} docs/performance/{name}")


if __name__ == "__main__":
    main()

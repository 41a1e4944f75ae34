"""Draw docs/performance/*.png from the figures the live benchmarks saved in var/bench/*.json.

    python -m bench.charts            (make bench runs it last)

latency-vs-users.png   median ms of each SCIM call against the account's size, sparksso and django-scim2
sign-in-layers.png     floor + each of sparksso's layers for a SCIM lookup and a sign-in (stacked bars)
import-rate.png        users per second of a full import, sparksso and django-scim2, by size
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


LAYER_COLOURS = {
    "floor": "#9e9e9e",
    "HTTP (beyond the floor)": "#dbdb8d",
    "middleware": "#bcbd22",
    "auth": "#17becf",
    "queries": "#1f77b4",
    "XML + signature": "#ff7f0e",
    "writes": "#8c564b",
    "audit": "#e377c2",
    "commit": "#d62728",
    "view code + serialisation": "#2ca02c",
    "XML + signature (as shipped)": "#ffbb78",
    "in-memory sessions and replay cache": "#c5b0d5",
}


def sign_in_layers(results: dict[str, dict], path: Path) -> Path | None:
    """Stacked bars: the floor, then each of sparksso's layers, for a lookup and a sign-in (and the
    python3-saml peer's sign-in for scale), from the side-by-side run's medians."""
    runs = [r["peers"] for r in results.values() if "peers" in r and "layer_figures" in r["peers"]]
    if not runs:
        return None
    raw = runs[0]
    layers = layer_split.request_layers(raw["layer_figures"])
    peer = raw["layers"].get("python3-saml SP")
    if peer:
        layers["python3-saml SP: whole sign-in"] = peer
    fig, ax = plt.subplots(figsize=(10, 4.4))
    widest = max(sum(p.values()) for p in layers.values())
    seen: set[str] = set()
    for row, parts in enumerate(layers.values()):
        left = 0.0
        for label, ms in parts.items():
            ax.barh(row, ms, left=left, color=LAYER_COLOURS.get(label, "#7f7f7f"), edgecolor="white",
                    label=None if label in seen else label)  # fmt: skip
            seen.add(label)
            if ms > 0.07 * widest:
                ax.text(left + ms / 2, row, f"{ms:.1f}", ha="center", va="center", fontsize=7)
            left += ms
        ax.text(left + 0.01 * widest, row, f"{left:.1f} ms", va="center", fontsize=8)
    ax.set_yticks(range(len(layers)), list(layers), fontsize=8)
    ax.set_xlabel("median ms per request (one sequential client, 1 worker, gunicorn gthread)")
    ax.set_title(f"Floor + each layer: a SCIM lookup and a sign-in ({raw['users']:,} users, SQLite)")
    ax.invert_yaxis()
    ax.set_xlim(0, widest * 1.15)
    ax.legend(fontsize=7, loc="upper center", bbox_to_anchor=(0.5, -0.2), ncol=4, frameon=False)
    fig.subplots_adjust(left=0.22, right=0.97, top=0.92, bottom=0.36)
    fig.savefig(path, dpi=110)
    plt.close(fig)
    return path


def import_rate(results: dict[str, dict], path: Path) -> Path | None:
    """Users per second of a full import against its size, sparksso and django-scim2, per database."""
    runs = [r["import"] for r in results.values() if "import" in r]
    if not runs:
        return None
    fig, ax = plt.subplots(figsize=(7, 4))
    for run, colour in zip(runs, ("#1f77b4", "#2ca02c"), strict=False):
        for server, style, marker in (("sparksso", "-", "o"), ("django-scim2", "--", "s")):
            x = [f[server]["users"] for f in run["sizes"]]
            y = [f[server]["users"] / (f[server]["write_seconds"] + f[server]["read_seconds"]) for f in run["sizes"]]
            ax.plot(x, y, style, marker=marker, color=colour, label=f"{server}, {run['database']}")
            ax.set_xticks(x, [f"{n:,}" for n in x])
    ax.set_xscale("log")
    ax.set_xlabel("users imported (lookup + POST each, then a full read)")
    ax.set_ylabel("users per second")
    ax.set_ylim(bottom=0)
    ax.set_title("A full import as JumpCloud does it")
    ax.legend(fontsize=8)
    ax.grid(True, which="both", alpha=0.3)
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
        (import_rate, "import-rate.png"),
        (load_throughput, "load-throughput.png"),
    ):
        drawn = draw(results, OUT / name)
        print(f"{'drew' if drawn else 'no figures yet for'} docs/performance/{name}")


if __name__ == "__main__":
    main()

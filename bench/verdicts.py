"""The issue-20 targets and issue 22's request log, each with its figure and a plain verdict, from var/bench/*.json.

    python -m bench.verdicts            (make bench runs it last; prints a Markdown table)

Every ratio is of medians taken in the same run (bench/side_by_side.py, bench/scale.py,
bench/full_import.py, bench/scim_log.py). A target whose figures were not measured in the saved
run (say the 100,000-user sizes were left out) says so instead of a verdict.
"""

import json
import statistics
from pathlib import Path

RESULTS = Path(__file__).resolve().parent.parent / "var" / "bench"
LOOKUPS_AND_PAGES = ("username_eq", "emails_eq", "page_first", "page_middle", "page_last")
FLOOR_CALLS = {"post": "POST", "username_eq": "lookup", "page_middle": "page"}


def _median(seconds: list[float]) -> float:
    return statistics.median(seconds) * 1000


def _verdict(met: bool | None) -> str:
    return "not measured" if met is None else ("**met**" if met else "**missed**")


def peers_rows(peers: dict) -> list[tuple[str, str, bool | None]]:
    scim, users = peers["scim"]["seconds"], peers["users"]
    ratio = {op: _median(scim["django-scim2"][op]) / _median(scim["sparksso"][op]) for op in FLOOR_CALLS}
    rows = [
        (f"SCIM `POST /Users` ≥ 3× django-scim2 ({users:,} users)", f"{ratio['post']:.2f}×", ratio["post"] >= 3),
        (f"SCIM `userName eq` ≥ 3× django-scim2 ({users:,} users)", f"{ratio['username_eq']:.2f}×",
         ratio["username_eq"] >= 3),
        (f"100-user page ≥ 10× faster than django-scim2 ({users:,} users)", f"{ratio['page_middle']:.1f}×",
         ratio["page_middle"] >= 10),
    ]  # fmt: skip
    sign_in = {k: _median(v) for k, v in peers["sign_in"].items()}
    floors = {op: _median(scim["sparksso"][op]) / _median(scim["floor"][op]) for op in FLOOR_CALLS}
    floors["sign-in"] = sign_in["sparksso"] / sign_in["floor"]
    text = ", ".join(f"{FLOOR_CALLS.get(k, k)} {v:.1f}×" for k, v in floors.items())
    rows.append(("every call within 2× of the floor", text, all(v <= 2 for v in floors.values())))
    vs_saml = sign_in["peer"] / sign_in["sparksso"]
    rows.append(("whole sign-in ≥ 1.0× the in-memory python3-saml SP (aim 1.4×)", f"{vs_saml:.2f}×", vs_saml >= 1.0))
    if "djangosaml2" in sign_in:
        vs_dj = sign_in["djangosaml2"] / sign_in["sparksso"]
        rows.append(("whole sign-in ahead of djangosaml2", f"{vs_dj:.1f}×", vs_dj > 1.0))
    return rows


def scale_rows(scale: dict) -> list[tuple[str, str, bool | None]]:
    sizes = scale["sizes"]
    first, last = sizes[0], sizes[-1]
    growth = {
        op: _median(last["seconds"]["sparksso"][op]) / _median(first["seconds"]["sparksso"][op])
        for op in LOOKUPS_AND_PAGES
    }
    text = ", ".join(f"{op} {g:.2f}×" for op, g in growth.items()) + f" ({last['size']:,} vs {first['size']:,})"
    at_100k = last["size"] >= 100_000
    rows = [
        (f"{scale['database']}: every lookup and page at 100,000 users within 1.5× of 1,000", text,
         all(g <= 1.5 for g in growth.values()) if at_100k else None),
        (f"{scale['database']}: peak RSS per worker < 150 MB at 100,000 users",
         f"{last['peak_rss_mb']['sparksso']:.0f} MB at {last['size']:,}",
         last["peak_rss_mb"]["sparksso"] < 150 if at_100k else None),
    ]  # fmt: skip
    return rows


def import_rows(run: dict) -> list[tuple[str, str, bool | None]]:
    def rate(f: dict) -> float:
        return f["users"] / (f["write_seconds"] + f["read_seconds"])

    parts, last = [], run["sizes"][-1]
    for figures in run["sizes"]:
        ours, peer = rate(figures["sparksso"]), rate(figures["django-scim2"])
        parts.append(f"{figures['sparksso']['users']:,}: {ours:.0f} vs {peer:.0f} users/s ({ours / peer:.2f}×)")
    ratio = rate(last["sparksso"]) / rate(last["django-scim2"])
    met = ratio >= 3 if last["sparksso"]["users"] >= 100_000 else None
    return [(f"{run['database']}: full import of 100,000 users ≥ 3× django-scim2's users/s", "; ".join(parts), met)]


def scimlog_rows(run: dict) -> list[tuple[str, str, bool | None]]:
    """Issue 22: the SCIM request log may cost at most 10 % of a lookup (log on against off, same run)."""

    def cost(op: str) -> float:
        return (_median(run["seconds"]["on"][op]) / _median(run["seconds"]["off"][op]) - 1) * 100

    lookup = cost("username_eq")
    text = (
        f"lookup {lookup:+.1f} % ({_median(run['seconds']['on']['username_eq']):.2f} against "
        f"{_median(run['seconds']['off']['username_eq']):.2f} ms); POST {cost('post'):+.1f} %, "
        f"page {cost('page_middle'):+.1f} %"
    )
    target = f"{run['database']}: SCIM request log costs ≤ 10 % of a lookup ({run['users']:,} users)"
    return [(target, text, round(lookup, 1) <= 10)]  # as printed: +10.0 % is within


def table(results: dict[str, dict]) -> str:
    rows: list[tuple[str, str, bool | None]] = []
    for saved in results.values():
        if "peers" in saved:
            rows += peers_rows(saved["peers"])
    for saved in results.values():
        if "scale" in saved:
            rows += scale_rows(saved["scale"])
        if "import" in saved:
            rows += import_rows(saved["import"])
        if "scimlog" in saved:
            rows += scimlog_rows(saved["scimlog"])
    lines = ["| target (same run, same shape) | measured | verdict |", "|---|---|---|"]
    lines += [f"| {target} | {measured} | {_verdict(met)} |" for target, measured, met in rows]
    return "\n".join(lines)


def main() -> None:
    results = {p.stem: json.loads(p.read_text()) for p in sorted(RESULTS.glob("*.json"))}
    print(table(results) if results else "no figures yet: run make bench")


if __name__ == "__main__":
    main()

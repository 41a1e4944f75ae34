"""Where a sign-in's and a lookup's time goes: the floor, then each of sparksso's layers.

Pure (no Django), so bench/charts.py can redraw from saved figures. The inputs are medians in ms:
the live request under gunicorn and the floor (bare Django, no middleware, no database, the same
bytes) from the side-by-side run, and the in-process probe (bench/layer_probe.py). The layers:

floor                        what Django under gunicorn costs to answer these bytes at all
middleware                   a 404 through sparksso's middleware less the same 404 with none (in process)
HTTP (beyond the floor)      what the live request leaves after the floor and the in-process layers
auth / queries / writes / audit / commit   the view's SQL by what it touches, timed in process
XML + signature              (sign-in) python3-saml's validation with the schema cache, in process
view code + serialisation    what is left of the view's in-process time

Medians taken in different places do not add up exactly on a shared machine: when the in-process
layers add up to more than the live request leaves above the floor, they are scaled down together
to fit (and HTTP beyond the floor is 0); the bars' totals are always the live medians.
"""

import statistics

LAYER_ORDER = (
    "floor",
    "HTTP (beyond the floor)",
    "middleware",
    "auth",
    "queries",
    "XML + signature",
    "writes",
    "audit",
    "commit",
    "view code + serialisation",
)


def split(
    *, live: float, floor: float, no_middleware: dict, middleware: dict, view: dict, xml: float = 0.0
) -> dict[str, float]:
    """ms per layer of one request; they add up to ``live`` (the live median)."""
    floor = min(floor, live)
    parts = {"middleware": max(0.0, middleware["total"] - no_middleware["total"])}
    budget = max(0.0, view["total"] - middleware["total"])  # the view's own in-process time
    for name, ms in (*((k, view.get(k, 0.0)) for k in ("auth", "queries", "writes", "audit", "commit")),
                     ("XML + signature", xml)):  # fmt: skip
        parts[name] = min(ms, budget)
        budget -= parts[name]
    parts["view code + serialisation"] = budget
    room = live - floor
    measured = sum(parts.values())
    scale = room / measured if measured > room and measured > 0 else 1.0
    layers = {"floor": floor, "HTTP (beyond the floor)": max(0.0, room - measured)}
    layers.update({name: ms * scale for name, ms in parts.items()})
    return {name: layers[name] for name in LAYER_ORDER if name in layers}


def request_layers(figures: dict) -> dict[str, dict[str, float]]:
    """The stacked layers of a SCIM lookup and a sign-in, from the side-by-side run's saved figures:
    ``live`` {lookup, sign_in, floor_lookup, floor_sign_in} medians, ``probe`` (bench/layer_probe.py),
    ``xml`` the cached validation's median."""
    live, probe = figures["live"], figures["probe"]
    return {
        "sparksso: SCIM userName eq": split(
            live=live["lookup"],
            floor=live["floor_lookup"],
            no_middleware=probe["no_middleware"],
            middleware=probe["middleware"],
            view=probe["lookup"],
        ),
        "sparksso: whole sign-in": split(
            live=live["sign_in"],
            floor=live["floor_sign_in"],
            no_middleware=probe["no_middleware"],
            middleware=probe["middleware"],
            view=probe["sign_in"],
            xml=figures["xml"],
        ),
    }


def sign_in_layers(signin: dict) -> dict[str, dict[str, float]]:
    """The python3-saml peer's sign-in: floor, XML validation (as shipped), and the rest; medians."""
    best = {k: statistics.median(v.seconds) * 1000 for k, v in signin.items() if k in ("sparksso", "peer", "floor")}
    validation = {k: statistics.median(v.seconds) * 1000 for k, v in signin["validation"].items()}
    floor = best["floor"]
    xml = min(validation["uncached"], max(0.0, best["peer"] - floor))
    return {
        "python3-saml SP": {
            "floor": floor,
            "XML + signature (as shipped)": xml,
            "in-memory sessions and replay cache": max(0.0, best["peer"] - floor - xml),
        }
    }

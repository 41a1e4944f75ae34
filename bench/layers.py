"""Where a sign-in's and a lookup's time goes: the floor, then each of sparksso's layers.

Pure (no Django), so bench/charts.py can redraw from saved figures. The inputs are medians in ms:
the live request under gunicorn and the floor (bare Django, no middleware, no database, the same
bytes) from the side-by-side run, and the in-process probe (bench/layer_probe.py). The layers:

floor                        what Django under gunicorn costs to answer these bytes at all
HTTP + middleware            the live request less the floor and the view's own work (in process)
auth / queries / writes / audit / commit   the view's SQL by what it touches, timed in process
XML + signature              (sign-in) python3-saml's validation with the schema cache, in process
view code + serialisation    what is left of the view's in-process time

Medians taken in different places do not add up exactly on a shared machine; a layer that would
come out negative is shown as 0, and the bars' totals are the live medians.
"""

LAYER_ORDER = (
    "floor",
    "HTTP + middleware",
    "auth",
    "queries",
    "XML + signature",
    "writes",
    "audit",
    "commit",
    "view code + serialisation",
)


def split(*, live: float, floor: float, middleware: dict, view: dict, xml: float = 0.0) -> dict[str, float]:
    """ms per layer of one request; they add up to ``live`` (the live median)."""
    view_total = max(0.0, view["total"] - middleware["total"])
    sql = {k: view.get(k, 0.0) for k in ("auth", "queries", "writes", "audit", "commit")}
    layers = {"floor": min(floor, live), "HTTP + middleware": max(0.0, live - floor - view_total)}
    budget = max(0.0, live - layers["floor"] - layers["HTTP + middleware"])
    for name, ms in (*sql.items(), ("XML + signature", xml)):
        layers[name] = min(ms, budget)
        budget -= layers[name]
    layers["view code + serialisation"] = budget
    return {name: layers.get(name, 0.0) for name in LAYER_ORDER if name in layers}


def request_layers(figures: dict) -> dict[str, dict[str, float]]:
    """The stacked layers of a SCIM lookup and a sign-in, from the side-by-side run's saved figures:
    ``live`` {lookup, sign_in, floor_lookup, floor_sign_in} medians, ``probe`` (bench/layer_probe.py),
    ``xml`` the cached validation's median."""
    live, probe = figures["live"], figures["probe"]
    return {
        "sparksso: SCIM userName eq": split(
            live=live["lookup"], floor=live["floor_lookup"], middleware=probe["middleware"], view=probe["lookup"]
        ),
        "sparksso: whole sign-in": split(
            live=live["sign_in"],
            floor=live["floor_sign_in"],
            middleware=probe["middleware"],
            view=probe["sign_in"],
            xml=figures["xml"],
        ),  # fmt: skip
    }


def sign_in_layers(signin: dict) -> dict[str, dict[str, float]]:
    """The earlier split of a sign-in (kept for the peer): floor, XML validation, and the rest,
    from the least disturbed sample of each."""
    best = {k: min(v.seconds) * 1000 for k, v in signin.items() if k in ("sparksso", "peer", "floor")}
    validation = {k: min(v.seconds) * 1000 for k, v in signin["validation"].items()}
    floor = best["floor"]
    xml = min(validation["uncached"], max(0.0, best["peer"] - floor))
    return {
        "python3-saml SP": {
            "floor": floor,
            "XML + signature (as shipped)": xml,
            "in-memory sessions and replay cache": max(0.0, best["peer"] - floor - xml),
        }
    }

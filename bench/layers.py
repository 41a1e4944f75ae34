"""Where a sign-in's time goes, from the peers benchmark's samples (pure: no Django, so charts can use it)."""


def sign_in_layers(signin: dict) -> dict[str, dict[str, float]]:
    """ms of each layer of a sign-in: HTTP + gunicorn, XML validation, and the rest.

    From the least disturbed sample of each (best, not median): the layers are timed in
    different places (two servers, this process), and on a shared machine their medians are not
    disturbed alike. The XML layer is capped at what the whole sign-in leaves after HTTP.
    """
    best = {k: min(v.seconds) * 1000 for k, v in signin.items() if k != "validation"}
    validation = {k: min(v.seconds) * 1000 for k, v in signin["validation"].items()}
    floor = best["floor"]

    def split(total: float, xml: float) -> tuple[float, float]:
        xml = min(xml, max(0.0, total - floor))
        return xml, max(0.0, total - floor - xml)

    ours_xml, ours_rest = split(best["sparksso"], validation["cached"])
    peer_xml, peer_rest = split(best["peer"], validation["uncached"])
    return {
        "sparksso": {
            "HTTP + gunicorn": floor,
            "XML + signature (schema cache)": ours_xml,
            "Django, database, session, event": ours_rest,
        },
        "python3-saml SP": {
            "HTTP + gunicorn": floor,
            "XML + signature (as shipped)": peer_xml,
            "in-memory sessions and replay cache": peer_rest,
        },
    }

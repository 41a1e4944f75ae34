"""`make idp` / `python -m devidp`: the development IdP on 127.0.0.1:$IDP_PORT (default 8001).

Refuses to start in production mode (SPARKSSO_MODE=production, or unset with a SECRET_KEY, as
sparksso's settings read it): it signs in anyone who types an email address.
"""

import os
import sys
import warnings
from pathlib import Path

DEFAULT_PORT = 8001
DEFAULT_STATE_DIR = Path(__file__).resolve().parent.parent / "var" / "devidp"
MSG_PRODUCTION = (
    "devidp: refusing to start in production mode (SPARKSSO_MODE=production, or a SECRET_KEY without "
    "SPARKSSO_MODE). The development IdP signs in anyone "
    "who types an email address; it is for trying sparksso on one machine only."
)
MSG_PORT = "devidp: IDP_PORT must be a port number (1-65535), got {value!r}."


def main() -> int:
    mode = os.environ.get("SPARKSSO_MODE", "").strip().lower()
    if mode == "production" or (not mode and os.environ.get("SECRET_KEY")):
        print(MSG_PRODUCTION, file=sys.stderr)
        return 2
    raw_port = os.environ.get("IDP_PORT", str(DEFAULT_PORT))
    if not raw_port.isdigit() or not 0 < int(raw_port) < 65536:
        print(MSG_PORT.format(value=raw_port), file=sys.stderr)
        return 2
    # pysaml2 imports a cipher mode from its old place in cryptography; not our code, not a problem here.
    warnings.filterwarnings("ignore", message="CFB has been moved")
    from devidp.server import log_to_stderr, server_make

    log_to_stderr()
    state_dir = Path(os.environ.get("IDP_STATE_DIR") or DEFAULT_STATE_DIR)
    slo = os.environ.get("IDP_SLO", "") == "1"  # Single Logout (devidp/logout.py)
    signed = os.environ.get("IDP_REQUIRE_SIGNED_REQUESTS", "") == "1"  # devidp/request_verify.py
    server, app = server_make(port=int(raw_port), state_dir=state_dir, slo=slo, require_signed_requests=signed)
    print(f"Development IdP on {app.base_url}/ (metadata: {app.base_url}/metadata; keys in {state_dir})", flush=True)
    try:
        server.serve_forever()
    except KeyboardInterrupt:
        pass
    finally:
        server.server_close()
    return 0


if __name__ == "__main__":
    sys.exit(main())

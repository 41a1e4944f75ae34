"""The dev IdP's HTML: a sign-in page, the tile page (its "user console"), the auto-POST form to the
SP's ACS and an error page. Plain strings, every value escaped; one small inline stylesheet."""

from html import escape

from devidp.saml import BREAK_CHOICES, SIGN_CHOICES, Person

STYLE = """
*{box-sizing:border-box}body{margin:0;font:16px/1.5 system-ui,sans-serif;color:#1d2433;background:#eef1f6}
header{background:#14233c;color:#fff;padding:12px 24px;display:flex;gap:16px;align-items:center;flex-wrap:wrap}
header strong{font-size:18px;margin-right:auto}header a{color:#cfe0ff}
main{max-width:760px;margin:24px auto;padding:0 16px}
.card{background:#fff;border-radius:8px;padding:24px;margin-bottom:16px;box-shadow:0 1px 3px #0002}
h1{font-size:24px;margin:0 0 8px}h2{font-size:18px;margin:16px 0 8px}
label{display:block;font-weight:600;margin:12px 0 4px}
input[type=email],input[type=text],select{width:100%;padding:8px;border:1px solid #98a2b3;
border-radius:4px;font:inherit}
fieldset{border:1px solid #d0d5dd;border-radius:6px;margin:16px 0;padding:8px 16px}
fieldset label{display:flex;gap:8px;font-weight:400;margin:4px 0}
button{font:inherit;padding:8px 16px;border-radius:4px;border:0;background:#2156d1;color:#fff;cursor:pointer}
button.secondary{background:#e4e9f2;color:#1d2433}
.users{display:flex;flex-wrap:wrap;gap:8px}.mono{font-family:ui-monospace,monospace;overflow-wrap:anywhere}
.tiles{display:grid;grid-template-columns:repeat(auto-fill,minmax(200px,1fr));gap:12px}
.tile{background:#fff;color:#1d2433;border:1px solid #d0d5dd;text-align:left;padding:16px;min-height:96px}
.tile strong{display:block}.tile span{font-size:13px;color:#475467;overflow-wrap:anywhere}
.help{color:#475467;font-size:14px}.error{background:#fde8e8;color:#8a1c1c;padding:12px;border-radius:6px}
"""


def layout(title: str, body: str) -> str:
    return f"""<!doctype html>
<html lang="en"><head><meta charset="utf-8"><meta name="viewport" content="width=device-width, initial-scale=1">
<title>{escape(title)} · sparksso dev IdP</title><style>{STYLE}</style></head>
<body><header><strong>sparksso dev IdP</strong><a href="/">Applications</a><a href="/metadata">Metadata</a>
<a href="/metadata/download">Download metadata</a></header>
<main>{body}</main></body></html>"""


def _options(sign: str = "assertion", breakage: str = "") -> str:
    radios = "".join(
        f'<label><input type="radio" name="sign" value="{value}"{" checked" if value == sign else ""}> {text}</label>'
        for value, text in SIGN_CHOICES.items()
    )
    choices = "".join(
        f'<option value="{value}"{" selected" if value == breakage else ""}>{escape(text)}</option>'
        for value, text in BREAK_CHOICES.items()
    )
    encrypt = (
        '<label><input type="checkbox" name="encrypt" value="on"> '
        "Encrypt the assertion (to the certificate in the SP's metadata)</label>"
    )
    return f"""<fieldset><legend>Signature</legend>{radios}</fieldset>
<fieldset><legend>Encryption</legend>{encrypt}</fieldset>
<label for="breakage">Response to send</label><select id="breakage" name="breakage">{choices}</select>"""


def _recent(users: list[Person]) -> str:
    if not users:
        return ""
    buttons = "".join(
        f'<button type="submit" class="secondary" name="recent" value="{escape(u.email)}" formnovalidate '
        f'title="{escape(" ".join(filter(None, (u.first_name, u.last_name))))}">{escape(u.email)}</button>'
        for u in users
    )
    return f'<h2>Recent users</h2><p class="help">One click signs in as:</p><div class="users">{buttons}</div>'


def signin_page(
    *,
    action: str,
    heading: str,
    intro: str,
    users: list[Person],
    hidden: dict[str, str],
    options: bool,
    error: str = "",
) -> str:
    """The form with a field labelled "Email" and a button "Sign in" (words the README and browser tests rely on)."""
    fields = "".join(f'<input type="hidden" name="{escape(k)}" value="{escape(v)}">' for k, v in hidden.items())
    alert = f'<p class="error" role="alert">{escape(error)}</p>' if error else ""
    return layout(
        heading,
        f"""<section class="card"><h1>{escape(heading)}</h1><p>{intro}</p>{alert}
<form method="post" action="{escape(action)}">{fields}
<label for="email">Email</label><input type="email" id="email" name="email" required autocomplete="email">
<label for="first_name">First name (optional)</label><input type="text" id="first_name" name="first_name">
<label for="last_name">Last name (optional)</label><input type="text" id="last_name" name="last_name">
{_options() if options else ""}
<p><button type="submit">Sign in</button></p>
{_recent(users)}
</form></section>""",
    )


def console_page(*, person: Person, sps: list[dict]) -> str:
    """Like JumpCloud's user console: one tile per SP; a click posts an IdP-initiated response."""
    if sps:
        tiles = "".join(
            f'<button type="submit" class="tile" name="sp" value="{escape(sp["entity_id"])}">'
            f"<strong>{escape(sp['label'])}</strong><span>{escape(sp['entity_id'])}</span></button>"
            for sp in sps
        )
        apps = f'<div class="tiles">{tiles}</div>{_options()}'
    else:
        apps = (
            "<p>No applications yet. Start a sign-in from sparksso once (its <code>/login</code> page): "
            "every SP that sends this IdP a request gets a tile here.</p>"
        )
    return layout(
        "Applications",
        f"""<section class="card"><h1>Applications</h1>
<p>Signed in to the dev IdP as <strong class="mono">{escape(person.email)}</strong>.</p>
<form method="post" action="/logout"><button type="submit" class="secondary">Sign out of the dev IdP</button></form>
</section><section class="card"><h2>Your applications</h2>
<form method="post" action="/launch">{apps}</form></section>""",
    )


def autopost_page(*, acs_url: str, saml_response: str, relay_state: str) -> str:
    """The HTTP-POST binding: a form the browser submits to the SP's ACS at once."""
    relay = f'<input type="hidden" name="RelayState" value="{escape(relay_state)}">' if relay_state else ""
    return layout(
        "Signing in",
        f"""<section class="card"><h1>Signing in…</h1>
<form method="post" action="{escape(acs_url)}" id="saml-post">
<input type="hidden" name="SAMLResponse" value="{escape(saml_response)}">{relay}
<p class="help">Posting the SAML response to <span class="mono">{escape(acs_url)}</span>.</p>
<noscript><button type="submit">Continue</button></noscript></form>
<script>document.getElementById("saml-post").submit()</script></section>""",
    )


def error_page(*, title: str, message: str) -> str:
    return layout(
        title, f'<section class="card"><h1>{escape(title)}</h1><p role="alert">{escape(message)}</p></section>'
    )

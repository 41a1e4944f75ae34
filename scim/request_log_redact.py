"""What the SCIM request log keeps of a body: secrets removed, then capped. Pure, no database.

Removed: every attribute the schemas mark ``returned: never`` (derived from ``scim.schemas``, so an
attribute added there is removed here too: ``password``, a Group member's ``display``), wherever it
appears (a resource, a list's Resources, a PatchOp's value or path), and anything shaped like a
SCIM token (``sso_scim_…``) in any text. The Authorization header is never read by the log at all.
"""

import json
import re
from functools import cache
from typing import Any

from scim.schemas import SCHEMAS, UNPUBLISHED
from scim.tokens import TOKEN_PREFIX

REDACTED = "[redacted]"
TOKEN_REMOVED = "[token removed]"
BODY_CAP_BYTES = 64 * 1024
MSG_TRUNCATED = "Truncated: {size} bytes in all, the first {cap} kept."
_TOKEN_RE = re.compile(re.escape(TOKEN_PREFIX) + r"[A-Za-z0-9_-]+")
_FILTER_RE = re.compile(r"\[[^\]]*\]")
_USERNAME_EQ_RE = re.compile(r'username\s+eq\s+"((?:[^"\\]|\\.)*)"', re.IGNORECASE)

Path = tuple[str, ...]


@cache
def never_returned() -> frozenset[Path]:
    """The attribute paths (lower case, sub-attributes dotted) that ``returned: never`` marks."""
    paths: set[Path] = set()

    def walk(attributes: list[dict[str, Any]], prefix: Path) -> None:
        for attribute in attributes:
            path = (*prefix, attribute["name"].lower())
            if attribute.get("returned") == "never":
                paths.add(path)
            walk(attribute.get("subAttributes", []), path)

    for schema in SCHEMAS.values():
        walk(schema["attributes"], ())
    for attributes in UNPUBLISHED.values():
        walk(attributes, ())
    return frozenset(paths)


@cache
def _never_lengths() -> tuple[int, ...]:
    return tuple(sorted({len(path) for path in never_returned()}))


def _secret(path: Path) -> bool:
    """``path`` ends with a never-returned attribute (at any depth: Resources, extensions, values)."""
    never = never_returned()
    return any(path[-length:] in never for length in _never_lengths() if len(path) >= length)


def _name(key: str) -> Path:
    """A JSON key as an attribute path: a schema URN starts afresh; a URN-qualified name is its last part."""
    if key[:4].lower() != "urn:":
        return (key.lower(),)
    if any(key.lower() == urn.lower() for urn in SCHEMAS):
        return ()
    return (key.rsplit(":", 1)[-1].lower(),)


def _untokened(text: str) -> str:
    return _TOKEN_RE.sub(TOKEN_REMOVED, text) if TOKEN_PREFIX in text else text


def patch_path(text: str) -> Path:
    """A PatchOp ``path`` (``members[value eq "x"].display``, ``urn:…:User:password``) as an attribute path."""
    text = _FILTER_RE.sub("", text)
    if text.lower().startswith("urn:"):
        text = text.rsplit(":", 1)[-1]
    return tuple(part.lower() for part in text.split(".") if part)


def redact(value: Any, path: Path = ()) -> Any:
    """A copy of a JSON value without the secrets: never-returned attributes become ``[redacted]``."""
    if isinstance(value, list):
        return [redact(item, path) for item in value]
    if isinstance(value, str):
        return _untokened(value)
    if not isinstance(value, dict):
        return value
    if isinstance(value.get("op"), str) and "value" in value:  # one PatchOp operation
        target = (*path, *patch_path(value["path"])) if isinstance(value.get("path"), str) else path
        out = {key: redact(item, path) for key, item in value.items() if key != "value"}
        out["value"] = REDACTED if target and _secret(target) else redact(value["value"], target)
        return out
    out = {}
    for key, item in value.items():
        name = _name(key)
        inner = path + name if name else ()
        out[_untokened(key)] = REDACTED if inner and _secret(inner) else redact(item, inner)
    return out


def _scrub_text(text: str) -> str:
    """A body that is not JSON: string values of never-returned names blanked, tokens removed."""
    names = "|".join(sorted({re.escape(path[-1]) for path in never_returned()}))
    text = re.sub(rf'("(?:{names})"\s*:\s*)"(?:[^"\\]|\\.)*"?', rf'\1"{REDACTED}"', text, flags=re.IGNORECASE)
    return _TOKEN_RE.sub(TOKEN_REMOVED, text)


def body_text(raw: bytes) -> tuple[str, Any]:
    """The body to keep, without secrets (JSON, or the scrubbed text), and its parsed JSON (or None).
    Compact: the page indents it (a cut body is shown as it is)."""
    if not raw:
        return "", None
    try:
        parsed = json.loads(raw.decode("utf-8"))
    except (ValueError, UnicodeDecodeError, RecursionError):
        return _scrub_text(raw.decode("utf-8", "replace")), None
    clean = redact(parsed)
    return json.dumps(clean, ensure_ascii=False, separators=(",", ":")), clean


def capped(text: str, cap: int = BODY_CAP_BYTES) -> tuple[str, str]:
    """``text`` cut to ``cap`` bytes of UTF-8 (at a character boundary) and the note saying so, or ""."""
    data = text.encode("utf-8")
    if len(data) <= cap:
        return text, ""
    return data[:cap].decode("utf-8", "ignore"), MSG_TRUNCATED.format(size=len(data), cap=cap)


def scrubbed(text: str) -> str:
    """A path or query with anything shaped like a token removed."""
    return _untokened(text)


def user_name_of(query: str, *bodies: Any) -> str:
    """The userName a request was about: in a body (request first), else a ``userName eq`` filter."""
    for body in bodies:
        if isinstance(body, dict):
            found = next((v for k, v in body.items() if k.lower() == "username" and isinstance(v, str)), None)
            if found:
                return found[:255]
    match = _USERNAME_EQ_RE.search(query)
    return match.group(1).replace('\\"', '"')[:255] if match else ""

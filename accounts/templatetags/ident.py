"""``{{ value|ident }}``: an identifier in monospace that wraps only at its separators.

A builtin (settings.TEMPLATES), so every page can use it: URLs, entity IDs, emails and event names
break after / . : - _ @ ? & = and nowhere else (the CSS forbids breaking inside a word).
"""

import re

from django import template
from django.utils.html import escape
from django.utils.safestring import SafeString, mark_safe

register = template.Library()
_AFTER_SEPARATOR = re.compile(r"([/.:\-_@?&=])")


@register.filter
def ident(value) -> SafeString:
    """Escaped, with a <wbr> after each separator, inside <span class="ident">."""
    text = escape("" if value is None else str(value))
    # Escaping leaves &amp; etc.: insert the break opportunities on the escaped text, outside entities.
    parts = re.split(r"(&[a-z#0-9]+;)", text)
    out = "".join(p if p.startswith("&") and p.endswith(";") else _AFTER_SEPARATOR.sub(r"\1<wbr>", p) for p in parts)
    return mark_safe(f'<span class="ident">{out}</span>')  # noqa: S308 - built from escaped text only

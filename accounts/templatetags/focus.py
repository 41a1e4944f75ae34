"""``{{ field|autofocus:True }}``: render a form field with (or, False, without) autofocus, so a page
that shows two steps of one form can put the cursor where the next thing is typed."""

from django import template
from django.forms import BoundField
from django.utils.safestring import SafeString

register = template.Library()


@register.filter
def autofocus(field: BoundField, on: bool) -> SafeString:
    return field.as_widget(attrs={"autofocus": bool(on)})

"""Model instances from rows a hand-written SELECT returned, as the ORM would have built them.

For the few reads every request repeats (a SCIM token, a sign-in's group): one SQL statement
through ``connection.cursor()`` costs a fraction of the ORM's compiling of the same query
(docs/performance.md, "Removing lean middleware and Prepared"). Public API only: the model's
``_meta`` fields (Django's documented Model _meta API), ``Field.from_db_value``/``to_python`` and
``Model.from_db``.
"""

from datetime import UTC

from django.db import connection, models
from django.utils import timezone


def columns(model: type[models.Model], alias: str) -> list[str]:
    """The model's concrete columns, quoted and qualified by ``alias``, in field order."""
    return [f'{alias}."{field.column}"' for field in model._meta.concrete_fields]


def _python(field: models.Field, value):
    """A column's value as the ORM gives it: JSON decoded, datetimes aware (SQLite keeps UTC
    without a zone), booleans from SQLite's 0/1. Other columns arrive as the ORM would read them."""
    if value is None:
        return None
    if isinstance(field, models.JSONField):
        return field.from_db_value(value, None, connection)
    if isinstance(field, models.DateTimeField):
        value = field.to_python(value)
        return value if timezone.is_aware(value) else timezone.make_aware(value, UTC)
    if isinstance(field, models.BooleanField):
        return field.to_python(value)
    return value


def instance(model: type[models.Model], values: tuple):
    """One model instance from ``values``, the columns ``columns(model, …)`` selected."""
    fields = model._meta.concrete_fields
    converted = [_python(field, value) for field, value in zip(fields, values, strict=True)]
    return model.from_db(connection.alias, [field.attname for field in fields], converted)


def instances(row: tuple, *models_: type[models.Model]) -> tuple[list, int]:
    """One instance of each model from consecutive columns of ``row``; and where the rest begins."""
    built, start = [], 0
    for model in models_:
        width = len(model._meta.concrete_fields)
        built.append(instance(model, row[start : start + width]))
        start += width
    return built, start

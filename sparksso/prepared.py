"""ORM queries compiled once and run many times: the hot paths' SELECTs without the compile cost.

Django turns a QuerySet into SQL on every evaluation; for the one-row SELECTs every SCIM request
and sign-in sends, that compiling costs more than the database (docs/performance.md). A
``Prepared`` query is still written with the ORM: its builder is called once per database
connection alias with *marker* arguments, the SQL and its parameters are kept, and each call runs
that SQL with the real arguments, converting the columns as the ORM would (datetimes, UUIDs,
JSON, booleans). Only ``values_list`` QuerySets can be prepared, and only lookups that hand their
argument to the database unchanged (``exact``, ``Lower(Value(...))``, ``isnull``): a lookup that
rewrites its argument (``icontains`` escapes and wraps it) is refused when the query is compiled,
never run wrongly. The builder itself must hand its arguments to the ORM untouched (a rewrite that
leaves the marker as it is, like ``strip()``, cannot be seen). ``instances`` rebuilds model
instances from a row with ``Model.from_db``.
"""

from collections.abc import Callable
from typing import Any

from django.db import connections, models
from django.db.models import QuerySet

_INT_MARKER = -(2**40)


def _marker(kind: type, index: int) -> Any:
    if kind is int:
        return _INT_MARKER - index
    if kind is str:  # mixed case, so a lower() or upper() on the way is seen as a rewrite
        return f"\x00Prepared:{index}\x00"
    raise TypeError(f"a prepared query takes int or str arguments, not {kind.__name__}")


class Prepared:
    """``Prepared(lambda digest: Model.objects.filter(digest=digest).values_list(...), str)``;
    calling it with the arguments returns the converted rows, as ``list(queryset)`` would."""

    def __init__(self, build: Callable[..., QuerySet], *kinds: type, using: str = "default"):
        self.build, self.kinds, self.using = build, kinds, using
        self._compiled: dict[str, tuple[str, list[tuple[bool, Any]], Any, dict]] = {}

    def _compile(self) -> tuple[str, list[tuple[bool, Any]], Any, dict]:
        markers = [_marker(kind, i) for i, kind in enumerate(self.kinds)]
        queryset = self.build(*markers)
        if queryset._iterable_class.__name__ != "ValuesListIterable":
            raise TypeError("only values_list() querysets can be prepared")
        compiler = queryset.query.get_compiler(using=self.using)
        sql, params = compiler.as_sql()
        slots: list[tuple[bool, Any]] = []  # (is an argument, its index or the constant)
        for param in params:
            if any(param is m or (type(param) is type(m) and param == m) for m in markers):
                slots.append((True, markers.index(param)))
            elif isinstance(param, str) and "\x00prepared:" in param.lower():
                raise ValueError(f"a lookup rewrites its argument ({param!r}): this query cannot be prepared")
            else:
                slots.append((False, param))
        used = {index for is_arg, index in slots if is_arg}
        if used != set(range(len(markers))):
            raise ValueError("every argument of a prepared query must reach its SQL unchanged")
        converters = compiler.get_converters([col for col, *_ in compiler.select[: compiler.col_count]])
        return sql, slots, compiler, converters

    def __call__(self, *args: Any) -> list[tuple]:
        compiled = self._compiled.get(self.using)
        if compiled is None:
            compiled = self._compiled[self.using] = self._compile()
        sql, slots, compiler, converters = compiled
        params = [args[value] if is_arg else value for is_arg, value in slots]
        with connections[self.using].cursor() as cursor:
            cursor.execute(sql, params)
            rows = cursor.fetchall()
        if converters:
            rows = [tuple(row) for row in compiler.apply_converters(rows, converters)]
        return rows


def columns(model: type[models.Model], prefix: str = "") -> list[str]:
    """The ``values_list`` names of ``model``'s concrete columns, behind a relation ``prefix``."""
    return [prefix + field.attname for field in model._meta.concrete_fields]


def instances(row: tuple, *models_: type[models.Model], using: str = "default") -> list[models.Model]:
    """Instances of ``models_`` rebuilt, in turn, from one row of ``columns(model)`` runs."""
    built, start = [], 0
    for model in models_:
        names = columns(model)
        built.append(model.from_db(using, names, row[start : start + len(names)]))
        start += len(names)
    return built

"""The layers point one way (sparksso <- accounts <- ssogroups <- scim <- console), for what code
*knows* as well as what it imports, and modules stay small.

Read with ``ast`` (and, for templates, a few regular expressions) from the source, so the rules hold
at any depth in a module. A lower layer may not:

- import a higher one;
- reach up through a reverse relation a higher layer's model declares (``account.sso_groups``,
  ``filter(scim_tokens__revoked_at=None)``, ``{{ group.scim_tokens.count }}``);
- read through its own relation to a higher layer's model (``user.sso_group.login_url``,
  ``filter(sso_group__enabled=True)``): it may set the relation and compare its id, nothing more;
- name a higher layer's URL (``reverse("settings")``, ``redirect("account-users")``,
  ``{% url 'ssogroup-create' %}``) or hard-code one of its paths (``"/account/sso/new"``).

Templates belong to the lowest layer that renders them, directly or through ``extends``/``include``.
The project's wiring (``sparksso/settings.py``, ``sparksso/urls.py``) names every app by design.
"""

import ast
import re
from functools import cache
from pathlib import Path

import pytest
from django.apps import apps
from django.urls import Resolver404, URLPattern, URLResolver, get_resolver, resolve

ROOT = Path(__file__).resolve().parent.parent
LAYERS = ["sparksso", "accounts", "ssogroups", "scim", "console"]
MAX_LINES = 400
WIRING = {Path("sparksso/settings.py"), Path("sparksso/urls.py")}
SITE_ROOT = "/"  # the home page: every layer may send people home
URL_NAME_CALLS = {"reverse", "reverse_lazy", "redirect", "resolve_url"}
TEMPLATE_DIR = ROOT / "templates"


def _product_modules() -> list[Path]:
    return sorted(path for layer in LAYERS for path in (ROOT / layer).rglob("*.py") if "migrations" not in path.parts)


def _layer_of(path: Path) -> int:
    return LAYERS.index(path.relative_to(ROOT).parts[0])


def _imported_top_levels(path: Path) -> set[tuple[str, int]]:
    found = set()
    for node in ast.walk(ast.parse(path.read_text(), filename=str(path))):
        if isinstance(node, ast.Import):
            found |= {(alias.name.split(".")[0], node.lineno) for alias in node.names}
        elif isinstance(node, ast.ImportFrom) and node.module and node.level == 0:
            found.add((node.module.split(".")[0], node.lineno))
    return found


# What each layer declares: reverse relations, URL names, URL paths.


@cache
def reverse_names() -> dict[str, int]:
    """Reverse accessor and query names -> the layer of the model that declares the relation."""
    names: dict[str, int] = {}
    for model in apps.get_models():
        app = model._meta.app_label
        if app not in LAYERS:
            continue
        for field in model._meta.get_fields():
            if not field.is_relation or field.auto_created or field.related_model is None:
                continue
            remote = field.remote_field
            if (remote.related_name or "").endswith("+"):  # no way back
                continue
            for name in {remote.get_accessor_name(), field.related_query_name()}:
                names[name] = min(names.get(name, len(LAYERS)), LAYERS.index(app))
    return names


KEY_ONLY = {"pk", "id", "isnull", "in", "exact"}  # what a lower layer may do with a relation upward


@cache
def upward_relations() -> dict[str, int]:
    """Forward relations declared in a lower layer to a higher layer's model (``User.sso_group``)
    -> the layer of the model they point at."""
    names: dict[str, int] = {}
    for model in apps.get_models():
        app = model._meta.app_label
        for field in model._meta.get_fields():
            if app not in LAYERS or not field.is_relation or field.auto_created or field.related_model is None:
                continue
            target = field.related_model._meta.app_label
            if target in LAYERS and LAYERS.index(target) > LAYERS.index(app):
                names[field.name] = max(names.get(field.name, 0), LAYERS.index(target))
    return names


def _lookup_reaches(lookup: str, *, above: set[str], upward: set[str]) -> bool:
    """``scim_tokens__revoked_at`` (a reverse relation above) or ``sso_group__enabled`` (a field of
    the model above); ``sso_group__isnull`` and ``sso_group__in`` only use the relation's key."""
    parts = lookup.lstrip("-").split("__")
    if set(parts) & above:
        return True
    return any(part in upward and after not in KEY_ONLY for part, after in zip(parts, parts[1:], strict=False))


def _app_of_callback(callback) -> str:
    return getattr(callback, "__module__", "").split(".")[0]


@cache
def url_names() -> dict[str, int]:
    """URL name -> the layer whose view it routes to."""
    found: dict[str, int] = {}

    def walk(patterns) -> None:
        for pattern in patterns:
            if isinstance(pattern, URLResolver):
                walk(pattern.url_patterns)
            elif isinstance(pattern, URLPattern) and pattern.name:
                app = _app_of_callback(pattern.callback)
                if app in LAYERS:
                    found[pattern.name] = LAYERS.index(app)

    walk(get_resolver().url_patterns)
    return found


def path_layer(path: str) -> int | None:
    """The layer whose view serves ``path`` (query and fragment ignored), or None."""
    path = path.split("#")[0].split("?")[0]
    if path == SITE_ROOT or not path.startswith("/") or path.startswith("//"):
        return None
    try:
        match = resolve(path)
    except Resolver404:
        return None
    app = _app_of_callback(match.func)
    return LAYERS.index(app) if app in LAYERS else None


# Reaches in Python.


def _string_value(node: ast.AST) -> str | None:
    """A string constant, or an f-string with each placeholder read as ``x``."""
    if isinstance(node, ast.Constant) and isinstance(node.value, str):
        return node.value
    if isinstance(node, ast.JoinedStr):
        return "".join(v.value if isinstance(v, ast.Constant) else "x" for v in node.values)
    return None


def _call_name(node: ast.Call) -> str:
    func = node.func
    return func.attr if isinstance(func, ast.Attribute) else func.id if isinstance(func, ast.Name) else ""


def python_reaches(source: str, *, layer: int) -> list[str]:
    """Every reverse relation, URL name and URL path of a layer above ``layer`` in ``source``."""
    relations, names = reverse_names(), url_names()
    above = {name for name, declared in relations.items() if declared > layer}
    upward = {name for name, target in upward_relations().items() if target > layer}
    found = []
    tree = ast.parse(source)
    parents = {id(child): node for node in ast.walk(tree) for child in ast.iter_child_nodes(node)}
    skipped = {  # docstrings, and the pieces of an f-string (read whole)
        id(node.body[0].value)
        for node in ast.walk(tree)
        if isinstance(node, ast.Module | ast.ClassDef | ast.FunctionDef | ast.AsyncFunctionDef)
        and node.body
        and isinstance(node.body[0], ast.Expr)
    } | {id(part) for node in ast.walk(tree) if isinstance(node, ast.JoinedStr) for part in node.values}
    for node in ast.walk(tree):
        if isinstance(node, ast.Attribute) and node.attr in above:
            found.append(f"line {node.lineno}: reverse relation .{node.attr}")
        elif isinstance(node, ast.Attribute) and node.attr in upward and isinstance(node.ctx, ast.Load):
            parent = parents.get(id(node))
            if not (isinstance(parent, ast.Attribute) and parent.attr in KEY_ONLY):
                found.append(f"line {node.lineno}: reads through .{node.attr}")
        elif isinstance(node, ast.keyword) and node.arg and _lookup_reaches(node.arg, above=above, upward=upward):
            found.append(f"line {node.value.lineno}: lookup {node.arg}=")
        elif isinstance(node, ast.Call) and _call_name(node) in URL_NAME_CALLS and node.args:
            name = _string_value(node.args[0])
            if name is not None and names.get(name, -1) > layer:
                found.append(f"line {node.lineno}: URL name {name!r}")
        if isinstance(node, ast.Call):
            for arg in node.args:
                value = _string_value(arg)
                if value and "__" in value and _lookup_reaches(value, above=above, upward=upward):
                    found.append(f"line {node.lineno}: lookup {value!r}")
        value = _string_value(node) if isinstance(node, ast.Constant | ast.JoinedStr) else None
        if value and id(node) not in skipped and (path_layer(value) or -1) > layer:
            found.append(f"line {node.lineno}: URL path {value!r}")
    return sorted(set(found), key=lambda text: (int(text.split()[1].rstrip(":")), text))


# Reaches in templates.

TEMPLATE_REF = re.compile(r"""{%\s*(?:extends|include)\s+["']([^"']+)["']""")
TEMPLATE_URL_NAME = re.compile(r"""{%\s*url\s+["']([^"']+)["']""")
TEMPLATE_TAG = re.compile(r"({{.*?}}|{%.*?%})", re.S)
TEMPLATE_PATH = re.compile(r"""(?:href|action|src|formaction)\s*=\s*["'](/[^"']*)["']""")


def _templates() -> dict[str, Path]:
    return {str(p.relative_to(TEMPLATE_DIR)): p for p in TEMPLATE_DIR.rglob("*.html")}


@cache
def template_layers() -> dict[str, int]:
    """Template -> the lowest layer that renders it, itself or through extends/include."""
    templates = _templates()
    layers: dict[str, int] = {}
    for path in _product_modules():
        for node in ast.walk(ast.parse(path.read_text())):
            value = _string_value(node) if isinstance(node, ast.Constant) else None
            if value in templates:
                layers[value] = min(layers.get(value, len(LAYERS)), _layer_of(path))
    changed = True
    while changed:  # a template used by a template is rendered by whoever renders that one
        changed = False
        for name, path in templates.items():
            if name not in layers:
                continue
            for used in TEMPLATE_REF.findall(path.read_text()):
                if used in templates and layers.get(used, len(LAYERS)) > layers[name]:
                    layers[used] = layers[name]
                    changed = True
    return layers


def template_reaches(text: str, *, layer: int) -> list[str]:
    relations, names = reverse_names(), url_names()
    above = {name for name, declared in relations.items() if declared > layer}
    found = [f"URL name {n!r}" for n in TEMPLATE_URL_NAME.findall(text) if names.get(n, -1) > layer]
    upward = {name for name, target in upward_relations().items() if target > layer}
    for tag in TEMPLATE_TAG.findall(text):
        found += [f"reverse relation .{a}" for a in re.findall(r"\.(\w+)", tag) if a in above]
        found += [
            f"reads through .{a}"
            for a, b in re.findall(r"\.(\w+)(?:\.(\w+))?", tag)
            if a in upward and b not in KEY_ONLY
        ]
    for raw in TEMPLATE_PATH.findall(text):
        path = TEMPLATE_TAG.sub("x", raw)
        if (path_layer(path) or -1) > layer:
            found.append(f"URL path {raw!r}")
    return sorted(set(found))


# The tests.


def test_the_project_has_the_five_layers():
    assert sorted(p.name for p in ROOT.iterdir() if p.name in LAYERS and p.is_dir()) == sorted(LAYERS)
    assert sorted(app.name for app in apps.get_app_configs() if app.name in LAYERS) == sorted(
        LAYERS
    )  # sparksso too: it owns the failure-counter table
    assert len(_product_modules()) > 40


@pytest.mark.parametrize("path", _product_modules(), ids=lambda p: str(p.relative_to(ROOT)))
def test_no_module_imports_from_a_layer_above_its_own(path):
    own = _layer_of(path)
    upward = sorted(f"line {line}: {name}" for name, line in _imported_top_levels(path) if name in LAYERS[own + 1 :])
    assert upward == [], f"{path.relative_to(ROOT)} imports from a layer above its own"


@pytest.mark.parametrize("path", _product_modules(), ids=lambda p: str(p.relative_to(ROOT)))
def test_no_module_reaches_a_layer_above_by_relation_or_url(path):
    if path.relative_to(ROOT) in WIRING:
        return
    reaches = python_reaches(path.read_text(), layer=_layer_of(path))
    assert reaches == [], f"{path.relative_to(ROOT)} knows a layer above its own"


@pytest.mark.parametrize("name", sorted(_templates()))
def test_no_template_reaches_a_layer_above_the_views_that_render_it(name):
    layer = template_layers().get(name)
    assert layer is not None, f"{name} is rendered by no view: delete it"
    reaches = template_reaches(_templates()[name].read_text(), layer=layer)
    assert reaches == [], f"templates/{name} (rendered by {LAYERS[layer]}) knows a layer above"


@pytest.mark.parametrize("path", _product_modules(), ids=lambda p: str(p.relative_to(ROOT)))
def test_no_product_module_is_over_400_lines(path):
    assert len(path.read_text().splitlines()) <= MAX_LINES


# The checks themselves can fail.


def test_the_layer_check_catches_an_upward_import(tmp_path):
    """An accounts module importing ssogroups is found."""
    module = tmp_path / "bad.py"
    module.write_text("def f():\n    from ssogroups.models import SSOGroup\n    return SSOGroup\n")
    assert ("ssogroups", 2) in _imported_top_levels(module)


def test_the_knowledge_check_catches_each_kind_of_reach():
    """Today's main had each of these in accounts (admin_views.py, checklist.py, events_views.py,
    reauth.py); setting the relation and reading its id stay allowed."""
    accounts = LAYERS.index("accounts")
    source = (
        "def f(account, group):\n"
        "    account.sso_groups.filter(scim_tokens__revoked_at__isnull=True)\n"
        "    account.scim_tokens.count()\n"
        "    x = Event.objects.filter(account=account).values_list('sso_domains__domain')\n"
        "    reverse('saml_failures', kwargs={'slug': group})\n"
        "    redirect('account-users')\n"
        "    return f'/account/sso/{group.slug}/', '/account/sso/new', '/account/settings/'\n"
        "def g(user):\n"
        "    group = user.sso_group\n"
        "    User.objects.filter(sso_group__enabled=True, sso_group__isnull=False, sso_group_id=1)\n"
        "    user.sso_group = None\n"
        "    return group.login_url, user.sso_group.pk, user.sso_group_id\n"
    )
    assert python_reaches(source, layer=accounts) == [
        "line 2: lookup scim_tokens__revoked_at__isnull=",
        "line 2: reverse relation .sso_groups",
        "line 3: reverse relation .scim_tokens",
        "line 4: lookup 'sso_domains__domain'",
        "line 5: URL name 'saml_failures'",
        "line 6: URL name 'account-users'",
        "line 7: URL path '/account/settings/'",
        "line 7: URL path '/account/sso/new'",
        "line 7: URL path '/account/sso/x/'",
        "line 9: reads through .sso_group",
        "line 10: lookup sso_group__enabled=",
    ]
    # The same source is the console's to write: it may know every layer.
    assert python_reaches(source, layer=LAYERS.index("console")) == []


def test_the_knowledge_check_reads_templates():
    template = (
        "<form action=\"{% url 'account-user-bind' u.pk %}\"></form>"
        '<a href="/account/sso/{{ group.slug }}/">x</a><a href="/">home</a>'
        "{{ group.scim_tokens.count }}"
    )
    assert template_reaches(template, layer=LAYERS.index("ssogroups")) == [
        "URL name 'account-user-bind'",
        "reverse relation .scim_tokens",
    ]
    assert template_reaches(template, layer=LAYERS.index("accounts")) == [
        "URL name 'account-user-bind'",
        "URL path '/account/sso/{{ group.slug }}/'",
        "reverse relation .scim_tokens",
    ]

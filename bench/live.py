"""Databases and tenants for the live benchmarks: sparksso's and the django-scim2 peer's, side by side.

sparksso's database is created by bench.env.database() (a SQLite file in the run's temporary
directory, or ``<DATABASE_URL's name>_bench`` on PostgreSQL); the peer's is a second SQLite file
or ``<that name>_peer``, migrated with the peer's own manage.py. Both are dropped at the end.
"""

import json
import secrets
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path

import psycopg
from django.db import connection

from bench.fixtures import Tenant, database_analyze, tenant_create, users_bulk_create
from bench.scim_ops import ScimTarget
from bench.servers import PORTS, peer_manage
from scim.tokens import scim_token_create
from ssogroups.saml.config import saml_settings_for_group

SPARKSSO_SCIM = "/api/v1/users/scim/v2"
PEER_SCIM = "/scim/v2"


def database_url() -> str:
    """DATABASE_URL for a server process, naming the database this process just created."""
    s = connection.settings_dict
    if connection.vendor == "sqlite":
        return f"sqlite:///{s['NAME']}"
    return f"postgres://{s['USER'] or 'postgres'}@{s['HOST'] or '127.0.0.1'}:{s['PORT'] or 5432}/{s['NAME']}"


def _pg_admin(sql: str) -> None:
    s = connection.settings_dict
    with psycopg.connect(
        host=s["HOST"] or "127.0.0.1", port=s["PORT"] or 5432, user=s["USER"] or "postgres", dbname="postgres",
        autocommit=True,
    ) as admin:  # fmt: skip
        admin.execute(sql)


@contextmanager
def peer_database(var_dir: Path) -> Iterator[dict[str, str]]:
    """A migrated database for the django-scim2 peer; yields the environment its processes need."""
    sqlite = var_dir / "peer.sqlite3"
    if connection.vendor == "sqlite":
        _unlink_sqlite(sqlite)
        env = {"PEER_SQLITE_PATH": str(sqlite)}
    else:
        name = f"{connection.settings_dict['NAME']}_peer"
        _pg_admin(f'DROP DATABASE IF EXISTS "{name}"')
        _pg_admin(f'CREATE DATABASE "{name}"')
        env = {"PEER_PG_NAME": name}
    try:
        peer_manage("migrate", "-v0", env=env)
        yield env
    finally:
        if connection.vendor == "postgresql":
            _pg_admin(f'DROP DATABASE IF EXISTS "{env["PEER_PG_NAME"]}" WITH (FORCE)')
        else:
            _unlink_sqlite(sqlite)


def _unlink_sqlite(path: Path) -> None:
    for suffix in ("", "-wal", "-shm", "-journal"):
        Path(f"{path}{suffix}").unlink(missing_ok=True)


@dataclass
class Accounts:
    """One sparksso tenant and its SCIM token, the peer's token, and how many users each holds."""

    tenant: Tenant
    sparksso_token: str
    peer_token: str
    peer_env: dict[str, str]
    loaded: int = 0

    def targets(self) -> tuple[ScimTarget, ScimTarget]:
        return (
            ScimTarget("sparksso", PORTS["sparksso"], SPARKSSO_SCIM, self.sparksso_token),
            ScimTarget("django-scim2", PORTS["scim_peer"], PEER_SCIM, self.peer_token),
        )

    def load_to(self, size: int, *, progress: bool = True) -> None:
        """Both sides hold users 0 .. size-1 (plus their one admin or client user)."""
        if size <= self.loaded:
            return
        users_bulk_create(tenant=self.tenant, start=self.loaded, stop=size, progress=progress)
        database_analyze()
        peer_manage(
            "peer_load", "--start", str(self.loaded), "--stop", str(size), f"--token={self.peer_token}",
            env=self.peer_env,
        )  # fmt: skip
        self.loaded = size


def accounts_create(name: str, peer_env: dict[str, str]) -> Accounts:
    tenant = tenant_create(name)
    _, plaintext = scim_token_create(
        account=tenant.account, sso_group=tenant.group, label="bench", created_by=tenant.admin, actor="bench"
    )
    peer_token = secrets.token_urlsafe(32)
    peer_manage("peer_load", "--start", "0", "--stop", "0", f"--token={peer_token}", env=peer_env)
    return Accounts(tenant=tenant, sparksso_token=plaintext, peer_token=peer_token, peer_env=peer_env)


def saml_peer_settings(tenant: Tenant, path: Path) -> Path:
    """The group's own python3-saml settings, for the peer SP to load: the same security flags."""
    settings = saml_settings_for_group(tenant.group, certificates_pem=[tenant.keys.cert_pem])
    path.write_text(json.dumps(settings))
    return path


def _idp_metadata(tenant: Tenant) -> str:
    """The IdP's metadata as JumpCloud exports it: entity ID, signing certificate, SSO endpoint."""
    cert = "".join(line for line in tenant.keys.cert_pem.splitlines() if "CERTIFICATE" not in line)
    group = tenant.group
    return (
        '<?xml version="1.0"?>\n<md:EntityDescriptor xmlns:md="urn:oasis:names:tc:SAML:2.0:metadata" '
        f'xmlns:ds="http://www.w3.org/2000/09/xmldsig#" entityID="{group.idp_entity_id}">'
        '<md:IDPSSODescriptor WantAuthnRequestsSigned="false" '
        'protocolSupportEnumeration="urn:oasis:names:tc:SAML:2.0:protocol">'
        '<md:KeyDescriptor use="signing"><ds:KeyInfo><ds:X509Data><ds:X509Certificate>'
        f"{cert}</ds:X509Certificate></ds:X509Data></ds:KeyInfo></md:KeyDescriptor>"
        "<md:NameIDFormat>urn:oasis:names:tc:SAML:1.1:nameid-format:emailAddress</md:NameIDFormat>"
        '<md:SingleSignOnService Binding="urn:oasis:names:tc:SAML:2.0:bindings:HTTP-Redirect" '
        f'Location="{group.sso_url}"/></md:IDPSSODescriptor></md:EntityDescriptor>'
    )


def djsaml_peer_settings(tenant: Tenant, var_dir: Path, peer_env: dict[str, str]) -> Path:
    """The djangosaml2 peer's inputs (sparksso's SP entity ID and ACS URL, the IdP's metadata), and
    its session table migrated into the django-scim2 peer's database, whose users it signs in."""
    metadata = var_dir / "djsaml_idp_metadata.xml"
    metadata.write_text(_idp_metadata(tenant))
    path = var_dir / "djsaml_peer.json"
    path.write_text(
        json.dumps(
            {"sp_entity_id": tenant.group.sp_entity_id, "acs_url": tenant.group.acs_url, "idp_metadata": str(metadata)}
        )
    )
    peer_manage("migrate", "-v0", env={**peer_env, "PEER_DJSAML_SETTINGS": str(path)}, settings="djsaml_peer.settings")
    return path

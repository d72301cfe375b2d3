"""The demo network: a host company, its admin, a supplier, employees in several
countries and languages, and one supplier guest.

Idempotent: people are created once; a second run finds them and prints the
same passwords. Passwords are random at the first seed and kept in
``<var dir>/seed-accounts.json`` (mode 0600): the repository holds none.
Everything goes through identity's RPC interface with the system caller, as
an integrator would; nothing here touches a database.
"""

from __future__ import annotations

import datetime as dt
import json
import logging
import os
import secrets
from pathlib import Path

from parvis_contracts.errors import Conflict

log = logging.getLogger("parvis.seed")

HOST = {"name": "Parvis Demo SA", "country": "FR"}
ADMIN = {
    "key": "admin",
    "email": "admin@parvis-demo.example",
    "display_name": "Camille Martin",
    "description": "network admin, Parvis Demo SA, FR",
}
ADMIN_PROFILE = {
    "job_title": "Network administrator",
    "department": "IT",
    "country": "FR",
    "languages": ["fr", "en"],
    "preferred_language": "en",
    "skills": ["administration", "governance"],
    "about": "I run the Parvis network: accounts, organisations, roles.",
}
SUPPLIER = {"name": "Acme Supplies GmbH", "kind": "supplier", "country": "DE"}

# key -> account; "org" is "host" or "supplier"
PEOPLE = [
    {
        "key": "employee_fr",
        "email": "louise.bernard@parvis-demo.example",
        "display_name": "Louise Bernard",
        "org": "host",
        "country": "FR",
        "job_title": "Responsable des achats",
        "department": "Achats",
        "preferred_language": "fr",
        "languages": ["fr", "en"],
        "skills": ["négociation", "supply chain"],
        "about": "Je gère les fournisseurs européens.",
        "description": "employee, FR, speaks French",
    },
    {
        "key": "employee_es",
        "email": "lucia.garcia@parvis-demo.example",
        "display_name": "Lucía García",
        "org": "host",
        "country": "ES",
        "job_title": "Ingeniera de calidad",
        "department": "Calidad",
        "preferred_language": "es",
        "languages": ["es", "ca", "en"],
        "skills": ["ISO 9001", "auditoría"],
        "about": "Calidad de las plantas de Barcelona.",
        "description": "employee, ES, speaks Spanish",
    },
    {
        "key": "employee_de",
        "email": "jonas.weber@parvis-demo.example",
        "display_name": "Jonas Weber",
        "org": "host",
        "country": "DE",
        "job_title": "Projektleiter",
        "department": "Engineering",
        "preferred_language": "de",
        "languages": ["de", "en"],
        "skills": ["project management", "SAP"],
        "about": "Projekte zwischen Paris und München.",
        "description": "employee, DE, speaks German",
    },
    {
        "key": "employee_en",
        "email": "olivia.smith@parvis-demo.example",
        "display_name": "Olivia Smith",
        "org": "host",
        "country": "GB",
        "job_title": "Communications lead",
        "department": "Communications",
        "preferred_language": "en",
        "languages": ["en", "fr"],
        "skills": ["community management", "writing"],
        "about": "I run the network's communities and its governance rules.",
        "roles": ["member", "global_community_manager"],
        "description": "employee and global community manager, GB, speaks English",
    },
    {
        "key": "employee_it",
        "email": "marco.rossi@parvis-demo.example",
        "display_name": "Marco Rossi",
        "org": "host",
        "country": "IT",
        "job_title": "Analista finanziario",
        "department": "Finance",
        "preferred_language": "it",
        "languages": ["it", "en"],
        "skills": ["controlling", "Excel"],
        "about": "Controllo di gestione per l'Italia.",
        "description": "employee, IT, speaks Italian",
    },
    {
        "key": "guest",
        "email": "hans.mueller@acme-supplies.example",
        "display_name": "Hans Müller",
        "org": "supplier",
        "country": "DE",
        "job_title": "Key account manager",
        "department": "Sales",
        "preferred_language": "de",
        "languages": ["de", "en"],
        "skills": ["logistics"],
        "about": "Ihr Ansprechpartner bei Acme Supplies.",
        "guest_days": 365,
        "description": "guest of the supplier Acme Supplies GmbH, DE",
    },
]

ACCOUNTS_FILE = "seed-accounts.json"


def new_password() -> str:
    return secrets.token_urlsafe(12)  # 16 characters, ~96 bits


def load_passwords(var_dir: Path) -> dict:
    path = Path(var_dir) / ACCOUNTS_FILE
    try:
        return json.loads(path.read_text())
    except (OSError, ValueError):
        return {}


def save_passwords(var_dir: Path, passwords: dict) -> None:
    path = Path(var_dir) / ACCOUNTS_FILE
    tmp = path.with_suffix(".tmp")
    fd = os.open(tmp, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
    with os.fdopen(fd, "w") as fh:
        json.dump(passwords, fh, indent=2, sort_keys=True)
    os.chmod(tmp, 0o600)
    os.replace(tmp, path)


def _find_person(call, email: str) -> dict | None:
    page = call("admin_list_people", query=email, limit=50)
    for item in page.get("items", []):
        if (item.get("email") or "").lower() == email.lower():
            return item
    return None


def _find_org(call, name: str) -> dict | None:
    for org in call("list_organisations").get("items", []):
        if org.get("name") == name:
            return org
    return None


def seed(platform) -> dict:
    """Create what is missing; return ``{"accounts": [...], "organisations": {...}}``.

    ``platform`` needs ``client`` (an RpcClient), ``system_token()``,
    ``person_token(principal)`` and ``var_dir`` (see ``deploy.launcher.Platform``).
    """
    var_dir = Path(platform.var_dir)
    passwords = load_passwords(var_dir)
    fresh = set()  # passwords made up by this run
    for key in [ADMIN["key"]] + [p["key"] for p in PEOPLE]:
        if key not in passwords:
            passwords[key] = new_password()
            fresh.add(key)
    save_passwords(var_dir, passwords)  # before any account exists with it
    unknown = set()  # accounts older than the passwords file

    def password_of(key, created_now):
        if key in fresh and not created_now:
            unknown.add(key)
            return None
        return passwords[key]

    def call(method, **kwargs):
        return platform.client.call("identity", method, platform.system_token(), **kwargs)

    boot = call(
        "bootstrap",
        host_name=HOST["name"],
        host_country=HOST["country"],
        admin_email=ADMIN["email"],
        admin_password=passwords[ADMIN["key"]],
        admin_name=ADMIN["display_name"],
    )
    host = boot["organisation"]
    admin = boot["admin"]
    admin_created = bool(boot.get("created", {}).get("admin"))
    if admin_created:  # a fresh admin: fill in their profile
        principal = {"id": admin["id"], "org_id": host["id"], "roles": admin.get("roles"), "guest": False}
        platform.client.call("identity", "update_me", platform.person_token(principal), changes=ADMIN_PROFILE)
    else:
        log.info("seed: the admin exists already")

    supplier = _find_org(call, SUPPLIER["name"])
    if supplier is None:
        supplier = call("create_organisation", **SUPPLIER)
    orgs = {"host": host, "supplier": supplier}

    accounts = [
        dict(
            key=ADMIN["key"],
            id=admin["id"],
            email=ADMIN["email"],
            password=password_of(ADMIN["key"], admin_created),
            display_name=admin["display_name"],
            org_id=host["id"],
            guest=False,
            roles=admin.get("roles", ["admin"]),
            description=ADMIN["description"],
        )
    ]
    for spec in PEOPLE:
        org = orgs[spec["org"]]
        existing = _find_person(call, spec["email"])
        created_now = False
        if existing is None:
            kwargs = dict(
                email=spec["email"],
                display_name=spec["display_name"],
                org_id=org["id"],
                password=passwords[spec["key"]],
                roles=spec.get("roles") or ["member"],
                preferred_language=spec["preferred_language"],
                job_title=spec["job_title"],
                department=spec["department"],
                country=spec["country"],
                languages=spec["languages"],
            )
            if spec.get("guest_days"):
                kwargs["guest_expires_at"] = (
                    dt.date.today() + dt.timedelta(days=spec["guest_days"])
                ).isoformat()
            try:
                existing = call("admin_create_person", **kwargs)["person"]
                created_now = True
            except Conflict:  # created meanwhile by another seeder
                existing = _find_person(call, spec["email"])
        if created_now:
            principal = {
                "id": existing["id"],
                "org_id": org["id"],
                "roles": spec.get("roles") or ["member"],
                "guest": spec["org"] != "host",
            }
            platform.client.call(
                "identity",
                "update_me",
                platform.person_token(principal),
                changes={"skills": spec["skills"], "about": spec["about"]},
            )
        accounts.append(
            dict(
                key=spec["key"],
                id=existing["id"],
                email=spec["email"],
                password=password_of(spec["key"], created_now),
                display_name=existing["display_name"],
                org_id=org["id"],
                guest=spec["org"] != "host",
                roles=existing.get("roles") or spec.get("roles") or ["member"],
                description=spec["description"],
            )
        )
    if unknown:
        log.warning(
            "seed: %s existed before %s was written: their passwords are unknown "
            "here (delete the var dir to start afresh)",
            ", ".join(sorted(unknown)),
            ACCOUNTS_FILE,
        )
        for key in unknown:
            passwords.pop(key, None)
        save_passwords(var_dir, passwords)
    log.info("seed: %d accounts ready", len(accounts))
    return {"accounts": accounts, "organisations": orgs}

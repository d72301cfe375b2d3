"""The launcher and the seed: idempotent seeding, secrets on disk, supervision, options."""

import json
import os
import re
import signal
import stat
import time

import pytest
import requests

from deploy.launcher import Platform, parse_replicas
from parvis_contracts.plugins import load_object, plugin, service_names

SERVICES = service_names()


def test_seeding_again_changes_nothing_and_keeps_the_passwords(parvis):
    before = parvis.accounts
    again = {a["key"]: a for a in parvis.platform.seed()["accounts"]}
    assert again.keys() == before.keys()
    for key, account in before.items():
        assert again[key]["id"] == account["id"], key
        assert again[key]["password"] == account["password"], key
    # still one account per e-mail address
    admin = parvis.api("admin")
    for account in before.values():
        found = admin.get("/api/v1/admin/people", params={"q": account["email"]}).json()["items"]
        assert [p["id"] for p in found if p["email"] == account["email"]] == [account["id"]]
    orgs = admin.get("/api/v1/organisations").json()["items"]
    assert sorted(o["name"] for o in orgs if o["name"] in ("Parvis Demo SA", "Acme Supplies GmbH")) == [
        "Acme Supplies GmbH",
        "Parvis Demo SA",
    ]


def test_the_seed_describes_a_multilingual_network(parvis):
    accounts = parvis.accounts
    assert accounts["admin"]["guest"] is False and "admin" in accounts["admin"]["roles"]
    assert accounts["guest"]["guest"] is True
    assert accounts["guest"]["org_id"] == parvis.organisations["supplier"]["id"]
    assert parvis.organisations["supplier"]["kind"] == "supplier"
    admin = parvis.api("admin")
    languages = set()
    countries = set()
    for key in ("employee_fr", "employee_es", "employee_de", "employee_en", "employee_it"):
        profile = admin.get(f"/api/v1/people/{accounts[key]['id']}").json()
        assert profile["guest"] is False and profile["skills"], profile
        languages.add(profile["preferred_language"])
        countries.add(profile["country"])
    assert {"fr", "es", "de", "en"} <= languages
    assert len(countries) == 5


def test_generated_secrets_are_readable_by_their_owner_only(parvis):
    var_dir = parvis.platform.var_dir
    path = var_dir / "seed-accounts.json"
    assert stat.S_IMODE(path.stat().st_mode) == 0o600
    stored = json.loads(path.read_text())
    assert stored["admin"] == parvis.accounts["admin"]["password"]
    assert len(set(stored.values())) == len(stored)  # random, all different
    assert all(len(p) >= 12 for p in stored.values())


def test_a_child_that_dies_is_restarted(parvis):
    platform = parvis.platform
    (child,) = platform.service_children("documents")
    old_pid = child.pid
    os.kill(old_pid, signal.SIGKILL)
    deadline = time.monotonic() + 30
    while time.monotonic() < deadline and (child.pid == old_pid or not child.alive()):
        platform.supervise_once()
        time.sleep(0.2)
    assert child.alive() and child.pid != old_pid
    # and it serves again (bounded wait while it starts)
    instance = None
    while time.monotonic() < deadline + 30 and instance is None:
        try:
            report = platform.health("documents")
        except Exception:  # still starting: UnknownService, timeout
            report = {}
        if report.get("instance", "").endswith(f":{child.pid}"):
            instance = report["instance"]
        else:
            time.sleep(0.3)
    assert instance is not None
    assert child.log_path.exists() and child.log_path.name == "documents-1.log"


def test_replica_settings_are_validated():
    assert parse_replicas("feed=2, translation=3") == {"feed": 2, "translation": 3}
    assert parse_replicas("") == {}
    for bad in ("feed", "nobody=2", "feed=0", "feed=many", "feed=100"):
        with pytest.raises(ValueError):
            parse_replicas(bad)


def test_every_installed_service_declares_its_own_class():
    for name in SERVICES:
        cls = load_object(plugin(name).service)
        assert cls.name == name and cls.__name__.endswith("Service")


def test_bind_addresses(tmp_path):
    assert Platform(tmp_path, bind_host="0.0.0.0:9000").port == 9000
    platform = Platform(tmp_path, bind_host="0.0.0.0", port=8123)
    assert (platform.bind_host, platform.port, platform.base_url) == (
        "0.0.0.0",
        8123,
        "http://127.0.0.1:8123",
    )
    v6 = Platform(tmp_path, bind_host="[::1]:8001")
    assert (v6.bind_host, v6.port, v6.base_url) == ("::1", 8001, "http://[::1]:8001")


def test_the_live_hub_runs_beside_the_gateway_and_its_pages_find_it(parvis):
    platform = parvis.platform
    assert platform.live_url and platform.live_port != platform.port
    assert requests.get(platform.live_url + "/readyz", timeout=10).status_code == 200
    token = parvis.sign_in("employee_fr")["token"]
    bearer = {"Authorization": f"Bearer {token}"}
    # the gateway's pages name the hub the launcher started (PARVIS_LIVE_PORT in its env)
    page = requests.get(parvis.url("/"), headers=bearer, timeout=15)
    url = re.search(r'data-live-url="([^"]+)"', page.text).group(1)
    assert url == f"{platform.live_url}/live/notifications"
    assert platform.live_url in page.headers["Content-Security-Policy"]
    with requests.get(url, headers=bearer, stream=True, timeout=10) as stream:
        assert stream.status_code == 200
        lines = stream.iter_lines(decode_unicode=True)
        assert next(lines) == "retry: 2000"
        received = [next(lines) for _ in range(3)]  # the blank line, then the first event
    assert received[1] == "event: unread" and received[2].startswith('data: {"unread":')

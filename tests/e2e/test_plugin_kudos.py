"""The example plug-in, installed as a package into a fresh virtual environment, works end to end.

A new virtual environment sees the core (this checkout's environment, through a ``.pth``
file) and nothing else; ``pip install plugins/kudos`` (a real install, not editable) adds
the plug-in, with no edit to any core file. The launcher of that environment then starts
the platform, kudos included, and this module checks what a user and an operator see: the
API, the web UI in two languages, ``/healthz``, the service's metrics port, the GDPR export,
and the access matrix's kudos rows (run by that environment's pytest, HTTP and RPC, in every
state). Uninstalling the plug-in takes its service, API and pages away and leaves the core.
"""

from __future__ import annotations

import json
import os
import re
import shutil
import signal
import subprocess
import sys
import sysconfig
import time
import zipfile
from io import BytesIO
from pathlib import Path

import pytest
import requests
import yaml

from deploy.launcher import free_port
from deploy.seed import ACCOUNTS_FILE, ADMIN, PEOPLE
from tests.support import Vhost, use_postgresql

ROOT = Path(__file__).resolve().parents[2]
PLUGIN = ROOT / "plugins" / "kudos"
START_TIMEOUT = 240  # seconds: six services, the gateway and the seed
HTTP_TIMEOUT = 15
UNKNOWN_ID = "00000000-0000-4000-8000-000000000000"

pytestmark = pytest.mark.skipif(
    use_postgresql(), reason="packaging, not the database: run once, in the SQLite e2e tier"
)


def run(argv, **kwargs):
    kwargs.setdefault("timeout", 300)
    result = subprocess.run(argv, capture_output=True, text=True, **kwargs)
    assert result.returncode == 0, (
        f"{argv} exited {result.returncode}:\n{result.stdout[-3000:]}\n{result.stderr[-3000:]}"
    )
    return result.stdout


def fresh_environment(where: Path) -> Path:
    """A new virtual environment that sees the core's packages, and its python."""
    run([sys.executable, "-m", "venv", "--without-pip", str(where)])
    python = where / "bin" / "python"
    purelib = run([str(python), "-c", "import sysconfig; print(sysconfig.get_paths()['purelib'])"])
    core = sysconfig.get_paths()["purelib"]
    # addsitedir also reads the core's own .pth files (its editable installs)
    Path(purelib.strip(), "_parvis_core.pth").write_text(f"import site; site.addsitedir({core!r})\n")
    return python


class KudosPlatform:
    def __init__(self, python: Path, work: Path):
        self.python = python
        self.work = work
        self.var_dir = work / "var"
        self.port = free_port()
        self.vhost = Vhost("parvis-plugin").create()
        self.output = work / "launcher.out"
        self.process = None
        self.banner = ""
        self.tokens: dict[str, str] = {}

    @property
    def base_url(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    def start(self) -> None:
        env = {k: v for k, v in os.environ.items() if not (k.startswith("PARVIS_") and k.endswith("_DB_URL"))}
        env.update(
            {
                "PARVIS_AMQP_URI": self.vhost.uri,
                "PARVIS_METRICS_BASE_PORT": "0",
                # no translation engine: this test is about the plug-in, not APy
                "PARVIS_APERTIUM_URL": "http://127.0.0.1:9",
                "PYTHONUNBUFFERED": "1",
            }
        )
        with open(self.output, "wb") as out:
            self.process = subprocess.Popen(
                [
                    str(self.python),
                    "-m",
                    "deploy.launcher",
                    "run",
                    "--port",
                    str(self.port),
                    "--var-dir",
                    str(self.var_dir),
                    "--timeout",
                    "180",
                ],
                cwd=str(self.work),
                env=env,
                stdin=subprocess.DEVNULL,
                stdout=out,
                stderr=subprocess.STDOUT,
                start_new_session=True,
            )
        deadline = time.monotonic() + START_TIMEOUT
        while time.monotonic() < deadline:
            text = self.output.read_text(errors="replace")
            if "Press Ctrl-C to stop." in text:
                self.banner = text
                return
            if self.process.poll() is not None:
                break
            time.sleep(0.5)
        raise AssertionError(
            "the platform with the plug-in did not start:\n" + self.output.read_text(errors="replace")[-5000:]
        )

    def stop(self) -> None:
        if self.process is not None and self.process.poll() is None:
            self.process.send_signal(signal.SIGTERM)
            try:
                self.process.wait(timeout=90)
            except subprocess.TimeoutExpired:
                os.killpg(self.process.pid, signal.SIGKILL)
                self.process.wait(timeout=10)
        self.vhost.delete()

    # --- people -------------------------------------------------------------

    def account(self, key: str) -> tuple[str, str]:
        passwords = json.loads((self.var_dir / ACCOUNTS_FILE).read_text())
        email = ADMIN["email"] if key == "admin" else next(p["email"] for p in PEOPLE if p["key"] == key)
        return email, passwords[key]

    def session(self, key: str | None) -> requests.Session:
        session = requests.Session()
        if key is None:
            return session
        if key not in self.tokens:
            email, password = self.account(key)
            response = requests.post(
                self.base_url + "/api/v1/auth/sign-in",
                timeout=HTTP_TIMEOUT,
                json={"email": email, "password": password, "issue_token": True},
            )
            assert response.status_code == 200, response.text
            self.tokens[key] = response.json()["token"]
        session.headers["Authorization"] = f"Bearer {self.tokens[key]}"
        return session

    def get(self, key, path, **kwargs):
        return self.session(key).get(self.base_url + path, timeout=HTTP_TIMEOUT, **kwargs)

    def post(self, key, path, **kwargs):
        return self.session(key).post(self.base_url + path, timeout=HTTP_TIMEOUT, **kwargs)

    def delete(self, key, path, **kwargs):
        return self.session(key).delete(self.base_url + path, timeout=HTTP_TIMEOUT, **kwargs)

    def person_id(self, key: str) -> str:
        return self.get(key, "/api/v1/me").json()["id"]


@pytest.fixture(scope="module")
def python(tmp_path_factory):
    python = fresh_environment(tmp_path_factory.mktemp("plugin-venv") / "venv")
    before = run([str(python), "-m", "deploy.launcher", "plugins"])
    assert "kudos" not in before  # a fresh environment holds the core only
    run(
        [
            str(python),
            "-m",
            "pip",
            "install",
            "--quiet",
            "--no-deps",
            "--no-build-isolation",
            "--no-index",
            str(PLUGIN),
        ]
    )
    return python


@pytest.fixture(scope="module")
def platform(python, tmp_path_factory):
    platform = KudosPlatform(python, tmp_path_factory.mktemp("plugin-run"))
    try:
        platform.start()
        yield platform
    finally:
        platform.stop()


def test_the_installed_plugin_is_discovered_from_its_entry_points(python):
    listed = run([str(python), "-m", "deploy.launcher", "plugins"])
    assert re.search(r"^service\s+kudos\s+plug-in\s+parvis_kudos\.service:KudosService", listed, re.M)
    assert re.search(r"^gateway\s+kudos\s+plug-in", listed, re.M)
    location = run([str(python), "-c", "import parvis_kudos; print(parvis_kudos.__file__)"])
    assert str(PLUGIN) not in location  # installed as a package, not read from the checkout
    manifests = list(yaml.safe_load_all(run([str(python), "-m", "deploy.manifests", "kudos"])))
    assert [m["kind"] for m in manifests] == [
        "Deployment",
        "Service",
        "HorizontalPodAutoscaler",
        "PodDisruptionBudget",
    ]
    assert manifests[0]["spec"]["template"]["spec"]["containers"][0]["args"] == ["service", "kudos"]


def test_health_and_metrics_include_the_plugin_service(platform):
    health = requests.get(platform.base_url + "/healthz", timeout=HTTP_TIMEOUT)
    assert health.status_code == 200, health.text
    assert health.json()["services"]["kudos"]["status"] == "ok"
    port = re.search(r"kudos-1:(\d+)", platform.banner)
    assert port, platform.banner
    metrics = requests.get(f"http://127.0.0.1:{port.group(1)}/metrics", timeout=HTTP_TIMEOUT).text
    # the launcher's and /healthz's health calls, counted by the plug-in's own process
    assert re.search(
        r'^parvis_rpc_calls_total\{(?=[^}]*service="kudos")(?=[^}]*method="health")', metrics, re.M
    ), metrics[-3000:]
    assert re.search(r'parvis_service_ready\{service="kudos"\} 1\.0', metrics)


def test_the_api_thanks_a_colleague_within_the_access_rules(platform):
    recipient = platform.person_id("employee_es")
    given = platform.post(
        "employee_fr",
        f"/api/v1/people/{recipient}/kudos",
        json={"message": "Merci pour la revue du contrat !"},
    )
    assert given.status_code == 201, given.text
    kudos = given.json()
    assert kudos["recipient_id"] == recipient and kudos["can_withdraw"] is True
    listed = platform.get("employee_de", f"/api/v1/people/{recipient}/kudos").json()
    mine = next(item for item in listed["items"] if item["id"] == kudos["id"])
    assert mine["message"] == "Merci pour la revue du contrat !"
    assert mine["giver"]["display_name"] and mine["can_withdraw"] is False
    # a guest shares no community with her: the same 404 as for nobody
    hidden = platform.get("guest", f"/api/v1/people/{recipient}/kudos")
    unknown = platform.get("guest", f"/api/v1/people/{UNKNOWN_ID}/kudos")
    assert hidden.status_code == 404 and hidden.content == unknown.content
    assert platform.get(None, f"/api/v1/people/{recipient}/kudos").status_code == 401
    too_long = platform.post("employee_fr", f"/api/v1/people/{recipient}/kudos", json={"message": "x" * 281})
    assert too_long.status_code == 422 and "message" in too_long.json()["error"]["details"]
    itself = platform.post(
        "employee_fr",
        f"/api/v1/people/{platform.person_id('employee_fr')}/kudos",
        json={"message": "Thanks, me"},
    )
    assert itself.status_code == 422, itself.text
    assert platform.delete("employee_de", f"/api/v1/kudos/{kudos['id']}").status_code == 403
    assert platform.delete("employee_fr", f"/api/v1/kudos/{kudos['id']}").status_code == 204
    after = platform.get("employee_de", f"/api/v1/people/{recipient}/kudos").json()["items"]
    assert kudos["id"] not in [item["id"] for item in after]


def test_the_openapi_document_describes_the_plugin(platform):
    spec = requests.get(platform.base_url + "/api/v1/openapi.json", timeout=HTTP_TIMEOUT).json()
    operations = spec["paths"]["/api/v1/people/{person_id}/kudos"]
    assert operations["get"]["operationId"] == "listPersonKudos"
    assert operations["post"]["operationId"] == "givePersonKudos"
    assert spec["paths"]["/api/v1/kudos/{kudos_id}"]["delete"]["operationId"] == "withdrawKudos"


def test_the_web_ui_shows_kudos_on_the_profile_in_the_reader_language(platform):
    recipient = platform.person_id("employee_de")
    sent = platform.post(
        "employee_fr",
        f"/people/{recipient}/kudos?lang=fr",
        data={"message": "Danke für die Hilfe", "next": "profile"},
        allow_redirects=False,
    )
    assert sent.status_code == 302 and sent.headers["Location"].endswith(f"/people/{recipient}")
    page = platform.get("employee_fr", f"/people/{recipient}?lang=fr")
    assert page.status_code == 200
    assert 'data-testid="kudos-panel"' in page.text and "Danke für die Hilfe" in page.text
    assert ">Remerciements<" in page.text  # the panel's title, in French
    assert 'data-testid="nav-kudos_web-mine"' in page.text  # the plug-in's menu entry
    german = platform.get("employee_es", f"/people/{recipient}/kudos?lang=de")
    assert german.status_code == 200 and "Dankeschöns für" in german.text
    assert "Danke für die Hilfe" in german.text
    assert platform.get("guest", f"/people/{recipient}/kudos?lang=de").status_code == 404


def test_the_gdpr_export_carries_the_plugin_part(platform):
    recipient = platform.person_id("employee_en")
    assert (
        platform.post(
            "employee_it", f"/api/v1/people/{recipient}/kudos", json={"message": "Grazie!"}
        ).status_code
        == 201
    )
    archive = platform.get("employee_en", "/api/v1/me/export")
    assert archive.status_code == 200, archive.text[:500]
    with zipfile.ZipFile(BytesIO(archive.content)) as zipped:
        part = json.loads(zipped.read("kudos.json"))
        manifest = json.loads(zipped.read("manifest.json"))
    assert "kudos.json" in manifest["parts"]
    assert [k["message"] for k in part["kudos_received"]] == ["Grazie!"]


def test_the_access_matrix_and_the_plugin_tests_run_where_it_is_installed(python):
    """The plug-in's rows, merged into the access table, through HTTP and RPC in every state,
    and its own unit tests, found as ./parvis test finds them."""
    own_tests = run([str(python), "-m", "deploy.launcher", "plugins", "--tests"]).split()
    assert [Path(path).name for path in own_tests] == ["tests"], own_tests
    result = subprocess.run(
        [
            str(python),
            "-m",
            "pytest",
            "-q",
            "-p",
            "no:cacheprovider",
            "--suppress-nameko-eventlet-notification",
            "tests/unit/gateway/test_authz_rules_file.py",
            "tests/service/test_authz_matrix.py",
            *own_tests,
            "-k",
            "kudos or test_every_api_operation_has_a_row",
        ],
        cwd=str(ROOT),
        capture_output=True,
        text=True,
        timeout=900,
        # every case of the plug-in's rows (the suite halves the matrix per database)
        env={**{k: v for k, v in os.environ.items() if k != "PARVIS_TEST_DB"}, "PARVIS_AUTHZ_FULL": "1"},
    )
    assert result.returncode == 0, result.stdout[-5000:] + result.stderr[-3000:]
    counts = re.search(r"(\d+) passed", result.stdout)
    assert counts and int(counts.group(1)) >= 60 and " failed" not in result.stdout, result.stdout[-2000:]


def test_removing_the_plugin_leaves_the_core(python, platform):
    platform.stop()  # the running platform was the plug-in's
    run([str(python), "-m", "pip", "uninstall", "--quiet", "--yes", "parvis-kudos"])
    listed = run([str(python), "-m", "deploy.launcher", "plugins"])
    assert "kudos" not in listed and "identity" in listed
    routes = run(
        [
            str(python),
            "-c",
            "from gateway.app import create_app\n"
            "app = create_app({'RPC_CLIENT': object(), 'TESTING': True})\n"
            "print('\\n'.join(sorted(r.rule for r in app.url_map.iter_rules())))",
        ],
        env={**os.environ, "PARVIS_VAR_DIR": str(platform.var_dir)},
    )
    assert "/api/v1/communities" in routes and "kudos" not in routes

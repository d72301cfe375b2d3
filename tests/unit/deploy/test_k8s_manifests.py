"""The Kubernetes manifests, Prometheus configuration and Grafana dashboard in deploy/.

Validated offline against the Kubernetes API schemas (kubernetes-validate), and
checked for what an ops team relies on: one Deployment per service and for the
gateway, each with its own replica count, autoscaler, probes and disruption budget;
every ConfigMap/Secret key a pod reads is defined; nothing in the folder is left
out of the kustomization; every process reaches the broker as its own user over TLS
(deploy/rabbitmq_users.py), and no Parvis pod holds the broker's own secrets.
"""

from __future__ import annotations

import json
import re
from pathlib import Path

import kubernetes_validate
import pytest
import yaml

from deploy import rabbitmq_users
from parvis_contracts.plugins import CORE_ORDER, service_plugins

ROOT = Path(__file__).resolve().parents[3]
K8S = ROOT / "deploy" / "k8s"
KUBERNETES_VERSION = "1.31.0"
#: the services the Parvis image ships: the core and the plug-ins under services/ (notifications)
SHIPPED = {n: p for n, p in service_plugins().items() if p.core or p.service.startswith("services.")}
SERVICES = (*CORE_ORDER, *(n for n in SHIPPED if n not in CORE_ORDER))
BROKER_USERS = rabbitmq_users.broker_users(SHIPPED)
AMQP_SECRETS = {u.secret_name for u in BROKER_USERS}


def documents():
    for path in sorted(K8S.glob("*.yaml")):
        if path.name == "kustomization.yaml":
            continue
        for doc in yaml.safe_load_all(path.read_text()):
            if doc:
                yield path.name, doc


ALL = list(documents())


def by_kind(kind):
    return {doc["metadata"]["name"]: doc for _, doc in ALL if doc["kind"] == kind}


@pytest.mark.parametrize("name,doc", ALL, ids=[f"{n}:{d['kind']}/{d['metadata']['name']}" for n, d in ALL])
def test_every_manifest_is_valid_against_the_kubernetes_schema(name, doc):
    kubernetes_validate.validate(doc, KUBERNETES_VERSION, strict=True)


def test_the_kustomization_lists_every_manifest_and_generates_the_secret():
    kustomization = yaml.safe_load((K8S / "kustomization.yaml").read_text())
    listed = set(kustomization["resources"])
    present = {p.name for p in K8S.glob("*.yaml")} - {"kustomization.yaml"}
    assert listed == present
    assert kustomization["namespace"] == "parvis"
    generators = {g["name"]: g for g in kustomization["secretGenerator"]}
    assert set(generators) == {"parvis-secrets", "rabbitmq-secrets"} | AMQP_SECRETS
    assert generators["rabbitmq-secrets"]["envs"] == ["rabbitmq-secrets.env"]
    for user in BROKER_USERS:  # one Secret per broker user, its password only
        assert generators[user.secret_name]["files"] == [f"password=amqp/{user.name}"]
    for name in ("secrets.env", "rabbitmq-secrets.env"):
        assert not (K8S / name).exists(), f"{name} must never be committed"
    assert not [p for p in (K8S / "amqp").glob("*")], "broker passwords must never be committed"


def _pod_spec(doc):
    return doc["spec"]["template"]["spec"]


@pytest.mark.parametrize("name", [*SERVICES, "gateway"])
def test_each_piece_scales_on_its_own_with_probes_and_a_budget(name):
    deployment = by_kind("Deployment")[name]
    assert deployment["spec"]["replicas"] >= 2
    container = _pod_spec(deployment)["containers"][0]
    assert container["image"] == "parvis"
    assert container["args"] == [name]
    assert container["readinessProbe"] and container["livenessProbe"]
    assert container["resources"]["requests"]["cpu"]
    sources = {next(iter(s.values()))["name"] for s in container["envFrom"]}
    assert sources == {"parvis-config", "parvis-secrets"}
    hpa = by_kind("HorizontalPodAutoscaler")[name]
    assert hpa["spec"]["scaleTargetRef"] == {"apiVersion": "apps/v1", "kind": "Deployment", "name": name}
    assert hpa["spec"]["minReplicas"] <= deployment["spec"]["replicas"] <= hpa["spec"]["maxReplicas"]
    budget = by_kind("PodDisruptionBudget")[name]
    assert budget["spec"]["selector"]["matchLabels"] == deployment["spec"]["selector"]["matchLabels"]


def test_service_readiness_uses_the_process_probe_and_the_gateway_its_own_endpoints():
    for name in SERVICES:
        probe = _pod_spec(by_kind("Deployment")[name])["containers"][0]["readinessProbe"]
        assert probe["exec"]["command"][:3] == ["python", "-m", "parvis_contracts.probe"]
    gateway = _pod_spec(by_kind("Deployment")["gateway"])["containers"][0]
    assert gateway["readinessProbe"]["httpGet"]["path"] == "/readyz"
    assert gateway["livenessProbe"]["httpGet"]["path"] == "/livez"


def _keys(example: str) -> set[str]:
    return {
        line.split("=", 1)[0]
        for line in (K8S / example).read_text().splitlines()
        if line and not line.startswith("#")
    }


def _pods():
    for _, doc in ALL:
        if doc["kind"] in ("Deployment", "StatefulSet", "Job"):
            yield doc


def test_every_key_a_pod_reads_is_defined():
    secret_keys = _keys("secrets.env.example")
    defined = {"parvis-secrets": secret_keys, "rabbitmq-secrets": _keys("rabbitmq-secrets.env.example")}
    defined.update({name: {"password"} for name in AMQP_SECRETS})
    config = by_kind("ConfigMap")["parvis-config"]["data"]
    for doc in _pods():
        for container in _pod_spec(doc)["containers"]:
            for env in container.get("env", []):
                ref = env.get("valueFrom", {}).get("secretKeyRef")
                if ref:
                    assert ref["key"] in defined[ref["name"]], ref
        for volume in _pod_spec(doc).get("volumes", []):
            sources = [s["secret"] for s in volume.get("projected", {}).get("sources", [])]
            if "secret" in volume:
                sources.append({"name": volume["secret"]["secretName"], **volume["secret"]})
            for source in sources:
                if source["name"] == rabbitmq_users.TLS_SECRET:  # made by cert-manager (tls/)
                    continue
                for item in source.get("items", []):
                    assert item["key"] in defined[source["name"]], source
    # the settings every process needs are present
    for key in ("PARVIS_QUEUE_TYPE", "PARVIS_METRICS_PORT", "PARVIS_BLOB_DIR"):
        assert key in config
    assert config["PARVIS_QUEUE_TYPE"] == "quorum"
    for service in SERVICES:
        assert f"PARVIS_{service.upper()}_DB_URL" in secret_keys
    assert "PARVIS_CONTEXT_SECRET" in secret_keys
    # no broker credential in what every pod reads: each has its own user
    assert "PARVIS_AMQP_URI" not in secret_keys
    assert not [key for key in secret_keys if key.startswith("RABBITMQ_")]


def _env(container) -> dict:
    return {e["name"]: e for e in container.get("env", [])}


@pytest.mark.parametrize("name", [*SERVICES, "gateway", "parvis-prepare"])
def test_each_process_reaches_the_broker_as_its_own_user_over_tls(name):
    doc = by_kind("Job")[name] if name == "parvis-prepare" else by_kind("Deployment")[name]
    role = name.removeprefix("parvis-")
    container = _pod_spec(doc)["containers"][0]
    env = _env(container)
    names = [e["name"] for e in container["env"]]
    # $(AMQP_PASSWORD) is expanded only when defined before
    assert names.index("AMQP_PASSWORD") < names.index("PARVIS_AMQP_URI")
    assert env["AMQP_PASSWORD"]["valueFrom"]["secretKeyRef"] == {
        "name": f"parvis-amqp-{role}",
        "key": "password",
    }
    assert env["PARVIS_AMQP_URI"]["value"] == f"amqps://parvis-{role}:$(AMQP_PASSWORD)@rabbitmq:5671/"
    ca = env["SSL_CERT_FILE"]["value"]
    mounts = {m["mountPath"]: m["name"] for m in container["volumeMounts"]}
    volume = next(v for v in _pod_spec(doc)["volumes"] if v["name"] == mounts[str(Path(ca).parent)])
    assert volume["secret"] == {
        "secretName": "rabbitmq-tls",
        "items": [{"key": "ca.crt", "path": Path(ca).name}],
    }


def test_no_parvis_pod_reads_the_broker_s_own_secrets():
    readers = set()
    for doc in _pods():
        for container in _pod_spec(doc)["containers"]:
            refs = [
                e.get("valueFrom", {}).get("secretKeyRef", {}).get("name") for e in container.get("env", [])
            ]
            refs += [s.get("secretRef", {}).get("name") for s in container.get("envFrom", [])]
            if "rabbitmq-secrets" in refs:
                readers.add(doc["metadata"]["name"])
    assert readers == {"rabbitmq", "parvis-rabbitmq-users"}
    # a broker user's Secret: its own pods and the users Job only
    for doc in _pods():
        spec = _pod_spec(doc)
        used = {
            e["valueFrom"]["secretKeyRef"]["name"]
            for c in spec["containers"]
            for e in c.get("env", [])
            if "secretKeyRef" in e.get("valueFrom", {})
        } & AMQP_SECRETS
        name = doc["metadata"]["name"]
        if name == "parvis-rabbitmq-users":
            projected = next(v for v in spec["volumes"] if v["name"] == "passwords")["projected"]
            assert {s["secret"]["name"] for s in projected["sources"]} == AMQP_SECRETS
        else:
            assert used <= {f"parvis-amqp-{name.removeprefix('parvis-')}"}, (name, used)


def test_rabbitmq_is_a_three_node_cluster_with_quorum_queues():
    rabbit = by_kind("StatefulSet")["rabbitmq"]
    assert rabbit["spec"]["replicas"] == 3
    conf = by_kind("ConfigMap")["rabbitmq-config"]["data"]["rabbitmq.conf"]
    assert "peer_discovery_backend = k8s" in conf
    assert "default_queue_type = quorum" in conf


def test_rabbitmq_speaks_tls_only_and_has_no_guest():
    conf = by_kind("ConfigMap")["rabbitmq-config"]["data"]["rabbitmq.conf"]
    settings = dict(
        line.split(" = ", 1) for line in conf.splitlines() if " = " in line and not line.startswith("#")
    )
    assert settings["listeners.tcp"] == "none"
    assert settings["listeners.ssl.default"] == "5671"
    assert settings["management.ssl.port"] == "15671"
    assert settings["loopback_users.guest"] == "true"
    rabbit = _pod_spec(by_kind("StatefulSet")["rabbitmq"])
    container = rabbit["containers"][0]
    tls_dir = next(m["mountPath"] for m in container["volumeMounts"] if m["name"] == "tls")
    assert next(v for v in rabbit["volumes"] if v["name"] == "tls")["secret"]["secretName"] == "rabbitmq-tls"
    for key in ("cacertfile", "certfile", "keyfile"):
        assert settings[f"ssl_options.{key}"].startswith(tls_dir + "/")
        assert settings[f"management.ssl.{key}"] == settings[f"ssl_options.{key}"]
    ports = {p["containerPort"] for p in container["ports"]}
    assert 5671 in ports and not {5672, 15672} & ports
    service_ports = {p["port"] for p in by_kind("Service")["rabbitmq"]["spec"]["ports"]}
    assert service_ports == {5671, 15671, 15692}
    # the first boot creates the administrator of rabbitmq-secrets, not guest
    env = _env(container)
    assert env["RABBITMQ_DEFAULT_USER"]["valueFrom"]["secretKeyRef"]["name"] == "rabbitmq-secrets"
    example = dict(
        line.split("=", 1)
        for line in (K8S / "rabbitmq-secrets.env.example").read_text().splitlines()
        if "=" in line
    )
    assert example["RABBITMQ_DEFAULT_USER"] not in ("", "guest")
    job = _pod_spec(by_kind("Job")["parvis-rabbitmq-users"])["containers"][0]
    assert "https://rabbitmq:15671/api" in job["args"] and "--keep-guest" not in job["args"]


def test_cert_manager_makes_the_certificate_rabbitmq_serves():
    docs = [d for d in yaml.safe_load_all((K8S / "tls" / "rabbitmq-certificate.yaml").read_text()) if d]
    kinds = {(d["kind"], d["metadata"]["name"]): d for d in docs}
    assert all(
        d["apiVersion"] == "cert-manager.io/v1" and d["metadata"]["namespace"] == "parvis" for d in docs
    )
    leaf = kinds[("Certificate", "rabbitmq-tls")]["spec"]
    assert leaf["secretName"] == "rabbitmq-tls"
    # the name the clients use and every node's name
    assert {"rabbitmq", "*.rabbitmq-nodes.parvis.svc.cluster.local"} <= set(leaf["dnsNames"])
    assert "server auth" in leaf["usages"] and leaf["renewBefore"]
    issuer = kinds[("Issuer", leaf["issuerRef"]["name"])]["spec"]["ca"]["secretName"]
    assert kinds[("Certificate", issuer)]["spec"]["isCA"] is True


def test_the_blob_volume_is_shared_by_the_gateway_and_documents():
    claim = by_kind("PersistentVolumeClaim")["parvis-blobs"]
    assert claim["spec"]["accessModes"] == ["ReadWriteMany"]
    for name in ("gateway", "documents"):
        volumes = _pod_spec(by_kind("Deployment")[name])["volumes"]
        assert any(v.get("persistentVolumeClaim", {}).get("claimName") == "parvis-blobs" for v in volumes), (
            name
        )


def test_prometheus_scrapes_the_annotated_pods_and_every_piece_is_annotated():
    prometheus = yaml.safe_load((ROOT / "deploy" / "prometheus" / "prometheus.yml").read_text())
    job = prometheus["scrape_configs"][0]
    assert job["kubernetes_sd_configs"][0]["namespaces"]["names"] == ["parvis"]
    for name in [*SERVICES, "gateway"]:
        annotations = by_kind("Deployment")[name]["spec"]["template"]["metadata"]["annotations"]
        assert annotations["prometheus.io/scrape"] == "true"
        port = int(annotations["prometheus.io/port"])
        ports = [p["containerPort"] for p in _pod_spec(by_kind("Deployment")[name])["containers"][0]["ports"]]
        assert port in ports


def test_the_dashboard_charts_metrics_that_the_code_exports():
    dashboard = json.loads((ROOT / "deploy" / "grafana" / "parvis-dashboard.json").read_text())
    expressions = [t["expr"] for p in dashboard["panels"] for t in p["targets"]]
    used = set(re.findall(r"\b(parvis_[a-z_]+?)(?:_bucket)?\b", " ".join(expressions)))
    code = " ".join(
        path.read_text()
        for path in [
            ROOT / "contracts" / "parvis_contracts" / "metrics.py",
            ROOT / "contracts" / "parvis_contracts" / "runner.py",
            ROOT / "gateway" / "metrics.py",
        ]
    )
    assert used, expressions
    for metric in used:
        assert f'"{metric}"' in code, metric
    titles = " ".join(p["title"] for p in dashboard["panels"]).lower()
    for topic in ("rpc calls", "latency", "errors", "replicas", "queue depth"):
        assert topic in titles


# --- manifests made from a plug-in declaration (python -m deploy.manifests)


def test_a_plugin_gets_valid_manifests_from_its_declaration():
    from deploy import manifests
    from parvis_contracts.plugins import ServicePlugin

    declared = ServicePlugin(
        name="polls",
        service="parvis_polls.service:PollsService",
        migrations="parvis_polls:migrations",
        metrics_port_name="metrics",
        readiness="parvis_contracts.probe",
    )
    made = manifests.kubernetes(declared)
    assert [doc["kind"] for doc in made] == [
        "Deployment",
        "Service",
        "HorizontalPodAutoscaler",
        "PodDisruptionBudget",
    ]
    for doc in made:
        kubernetes_validate.validate(doc, KUBERNETES_VERSION, strict=True)
    container = made[0]["spec"]["template"]["spec"]["containers"][0]
    assert container["args"] == ["service", "polls"]
    assert container["readinessProbe"]["exec"]["command"][:3] == ["python", "-m", "parvis_contracts.probe"]
    assert made[0]["spec"]["template"]["metadata"]["annotations"]["prometheus.io/scrape"] == "true"
    # the same keys as the hand-written ones: configuration and secrets, nothing else
    core = by_kind("Deployment")["feed"]["spec"]["template"]["spec"]["containers"][0]
    assert container["envFrom"] == core["envFrom"]
    # its own broker user over TLS, as the core's
    env = _env(container)
    assert env["AMQP_PASSWORD"]["valueFrom"]["secretKeyRef"] == {
        "name": "parvis-amqp-polls",
        "key": "password",
    }
    assert env["PARVIS_AMQP_URI"]["value"] == "amqps://parvis-polls:$(AMQP_PASSWORD)@rabbitmq:5671/"
    assert env["SSL_CERT_FILE"] == _env(core)["SSL_CERT_FILE"]
    assert made[0]["spec"]["template"]["spec"]["volumes"] == [
        v for v in _pod_spec(by_kind("Deployment")["feed"])["volumes"] if v["name"] == "rabbitmq-ca"
    ]
    assert "PARVIS_POLLS_DB_URL" in manifests.compose(declared)
    assert "amqp://parvis-polls:${PARVIS_RABBITMQ_PASSWORD_POLLS}@rabbitmq" in manifests.compose(declared)
    assert manifests.database_sql(declared) == "CREATE DATABASE polls;\n"

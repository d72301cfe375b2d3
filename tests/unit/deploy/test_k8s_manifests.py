"""The Kubernetes manifests, Prometheus configuration and Grafana dashboard in deploy/.

Validated offline against the Kubernetes API schemas (kubernetes-validate), and
checked for what an ops team relies on: one Deployment per service and for the
gateway, each with its own replica count, autoscaler, probes and disruption budget;
every ConfigMap/Secret key a pod reads is defined; nothing in the folder is left
out of the kustomization.
"""

from __future__ import annotations

import json
import re
from pathlib import Path

import kubernetes_validate
import pytest
import yaml

from parvis_contracts.plugins import CORE_ORDER as SERVICES

ROOT = Path(__file__).resolve().parents[3]
K8S = ROOT / "deploy" / "k8s"
KUBERNETES_VERSION = "1.31.0"


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
    generated = {g["name"] for g in kustomization["secretGenerator"]}
    assert generated == {"parvis-secrets"}
    assert not (K8S / "secrets.env").exists(), "secrets.env must never be committed"


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


def test_every_key_a_pod_reads_is_defined():
    secret_keys = {
        line.split("=", 1)[0]
        for line in (K8S / "secrets.env.example").read_text().splitlines()
        if line and not line.startswith("#")
    }
    config = by_kind("ConfigMap")["parvis-config"]["data"]
    for _, doc in ALL:
        if doc["kind"] not in ("Deployment", "StatefulSet", "Job"):
            continue
        for container in _pod_spec(doc)["containers"]:
            for env in container.get("env", []):
                ref = env.get("valueFrom", {}).get("secretKeyRef")
                if ref:
                    assert ref["name"] == "parvis-secrets" and ref["key"] in secret_keys, ref
    # the settings every process needs are present
    for key in ("PARVIS_QUEUE_TYPE", "PARVIS_METRICS_PORT", "PARVIS_BLOB_DIR"):
        assert key in config
    assert config["PARVIS_QUEUE_TYPE"] == "quorum"
    for service in SERVICES:
        assert f"PARVIS_{service.upper()}_DB_URL" in secret_keys
    assert {"PARVIS_CONTEXT_SECRET", "PARVIS_AMQP_URI"} <= secret_keys


def test_rabbitmq_is_a_three_node_cluster_with_quorum_queues():
    rabbit = by_kind("StatefulSet")["rabbitmq"]
    assert rabbit["spec"]["replicas"] == 3
    conf = by_kind("ConfigMap")["rabbitmq-config"]["data"]["rabbitmq.conf"]
    assert "peer_discovery_backend = k8s" in conf
    assert "default_queue_type = quorum" in conf


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
    assert "PARVIS_POLLS_DB_URL" in manifests.compose(declared)
    assert manifests.database_sql(declared) == "CREATE DATABASE polls;\n"

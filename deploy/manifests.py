"""Deployment manifests for an installed service, made from its plug-in declaration.

    python -m deploy.manifests kudos               Kubernetes: Deployment, metrics Service,
                                                   autoscaler, disruption budget (YAML)
    python -m deploy.manifests kudos --compose     the service's entry for deploy/compose.yaml
    python -m deploy.manifests kudos --database    the SQL that creates its database

The core's manifests are written by hand in ``deploy/k8s/`` (each tuned: replicas,
resources); a plug-in gets the same shape from here, with the name, metrics port and
readiness probe its declaration gives (:class:`parvis_contracts.plugins.ServicePlugin`).
Save the output beside the core's and list it in ``deploy/k8s/kustomization.yaml``
(docs/plugins.md, "Deploy it"). Prometheus scrapes it by the pod annotations, with no edit.
"""

from __future__ import annotations

import argparse
import sys

import yaml

from parvis_contracts.plugins import PluginError, ServicePlugin, plugin

METRICS_PORT = 9100
IMAGE = "parvis"
CA_DIR = "/etc/parvis/rabbitmq-ca"


def _labels(name: str) -> dict:
    return {
        "app.kubernetes.io/name": name,
        "app.kubernetes.io/component": "service",
        "app.kubernetes.io/part-of": "parvis",
    }


def amqp_env(name: str) -> list[dict]:
    """Its own broker user over TLS: the password from the Secret ``parvis-amqp-<name>``
    (``python -m deploy.rabbitmq_users``), the CA of the broker's certificate."""
    return [
        {
            "name": "AMQP_PASSWORD",
            "valueFrom": {"secretKeyRef": {"name": f"parvis-amqp-{name}", "key": "password"}},
        },
        {"name": "PARVIS_AMQP_URI", "value": f"amqps://parvis-{name}:$(AMQP_PASSWORD)@rabbitmq:5671/"},
        {"name": "SSL_CERT_FILE", "value": f"{CA_DIR}/ca.crt"},
    ]


def kubernetes(service: ServicePlugin, replicas: int = 2, max_replicas: int = 10) -> list[dict]:
    name, port_name = service.name, service.metrics_port_name
    container = {
        "name": name,
        "image": IMAGE,
        "args": ["service", name],
        # its database URL, PARVIS_<NAME>_DB_URL, goes in secrets.env like the core's
        "envFrom": [{"configMapRef": {"name": "parvis-config"}}, {"secretRef": {"name": "parvis-secrets"}}],
        "env": amqp_env(name),
        "ports": [{"name": port_name, "containerPort": METRICS_PORT}],
        "readinessProbe": {
            "exec": {"command": ["python", "-m", service.readiness, "--port", str(METRICS_PORT)]},
            "periodSeconds": 10,
            "timeoutSeconds": 5,
        },
        "livenessProbe": {
            "httpGet": {"path": "/metrics", "port": port_name},
            "initialDelaySeconds": 20,
            "periodSeconds": 20,
            "timeoutSeconds": 5,
        },
        "resources": {"requests": {"cpu": "250m", "memory": "256Mi"}, "limits": {"memory": "512Mi"}},
        "securityContext": {"allowPrivilegeEscalation": False, "capabilities": {"drop": ["ALL"]}},
        "volumeMounts": [{"name": "rabbitmq-ca", "mountPath": CA_DIR, "readOnly": True}],
    }
    deployment = {
        "apiVersion": "apps/v1",
        "kind": "Deployment",
        "metadata": {"name": name, "labels": _labels(name)},
        "spec": {
            "replicas": replicas,
            "selector": {"matchLabels": {"app.kubernetes.io/name": name}},
            "strategy": {"type": "RollingUpdate", "rollingUpdate": {"maxUnavailable": 0, "maxSurge": 1}},
            "template": {
                "metadata": {
                    "labels": _labels(name),
                    "annotations": {
                        "prometheus.io/scrape": "true",
                        "prometheus.io/port": str(METRICS_PORT),
                        "prometheus.io/path": "/metrics",
                    },
                },
                "spec": {
                    "terminationGracePeriodSeconds": 40,
                    "securityContext": {
                        "runAsNonRoot": True,
                        "runAsUser": 10001,
                        "runAsGroup": 10001,
                        "fsGroup": 10001,
                        "seccompProfile": {"type": "RuntimeDefault"},
                    },
                    "containers": [container],
                    "volumes": [
                        {
                            "name": "rabbitmq-ca",
                            "secret": {
                                "secretName": "rabbitmq-tls",
                                "items": [{"key": "ca.crt", "path": "ca.crt"}],
                            },
                        }
                    ],
                },
            },
        },
    }
    metrics = {
        "apiVersion": "v1",
        "kind": "Service",
        "metadata": {"name": f"{name}-metrics", "labels": {"app.kubernetes.io/name": name}},
        "spec": {
            "clusterIP": "None",
            "selector": {"app.kubernetes.io/name": name},
            "ports": [{"name": port_name, "port": METRICS_PORT}],
        },
    }
    autoscaler = {
        "apiVersion": "autoscaling/v2",
        "kind": "HorizontalPodAutoscaler",
        "metadata": {"name": name},
        "spec": {
            "scaleTargetRef": {"apiVersion": "apps/v1", "kind": "Deployment", "name": name},
            "minReplicas": replicas,
            "maxReplicas": max_replicas,
            "metrics": [
                {
                    "type": "Resource",
                    "resource": {"name": "cpu", "target": {"type": "Utilization", "averageUtilization": 70}},
                }
            ],
        },
    }
    budget = {
        "apiVersion": "policy/v1",
        "kind": "PodDisruptionBudget",
        "metadata": {"name": name},
        "spec": {"minAvailable": 1, "selector": {"matchLabels": {"app.kubernetes.io/name": name}}},
    }
    return [deployment, metrics, autoscaler, budget]


def compose(service: ServicePlugin) -> str:
    """The entry under ``services:`` in deploy/compose.yaml (its anchors give the rest);
    its broker user's password, ``RABBITMQ_PASSWORD_<NAME>``, goes in the environment of
    the ``rabbitmq-users`` one-shot too."""
    name = service.name
    return (
        f"  {name}:\n"
        f"    <<: [*parvis, *after-prepare]\n"
        f'    command: ["service", "{name}"]\n'
        f"    environment:\n"
        f"      <<: *parvis-env\n"
        f"      PARVIS_{name.upper()}_DB_URL: postgresql+psycopg://parvis:"
        f"${{PARVIS_POSTGRES_PASSWORD}}@postgres:5432/{name}\n"
        f"      PARVIS_AMQP_URI: amqp://parvis-{name}:"
        f"${{PARVIS_RABBITMQ_PASSWORD_{name.upper()}}}@rabbitmq:5672/\n"
    )


def database_sql(service: ServicePlugin) -> str:
    return f"CREATE DATABASE {service.name};\n"


def header(service: ServicePlugin) -> str:
    return (
        f"# The {service.name} service ({service.description or 'a Parvis plug-in'}), made by\n"
        f"#   python -m deploy.manifests {service.name}\n"
        f"# from its plug-in declaration. Scale it alone with\n"
        f"#   kubectl -n parvis scale deployment/{service.name} --replicas=N\n"
    )


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(
        prog="python -m deploy.manifests",
        description=__doc__,
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    parser.add_argument("service", help="an installed service (python -m deploy.launcher plugins)")
    what = parser.add_mutually_exclusive_group()
    what.add_argument("--compose", action="store_true", help="the compose entry instead")
    what.add_argument("--database", action="store_true", help="the CREATE DATABASE line instead")
    args = parser.parse_args(argv)
    try:
        service = plugin(args.service)
    except PluginError as exc:
        parser.error(str(exc))
    if args.database:
        sys.stdout.write(database_sql(service))
    elif args.compose:
        sys.stdout.write(compose(service))  # compose.yaml's anchors: pasted as text
    else:
        sys.stdout.write(header(service))
        sys.stdout.write(yaml.safe_dump_all(kubernetes(service), sort_keys=False))
    return 0


if __name__ == "__main__":
    sys.exit(main())

#!/bin/sh
# Entrypoint of the Parvis image: see deploy/Dockerfile.
set -eu
command="${1:-gateway}"
[ $# -gt 0 ] && shift
case "$command" in
  gateway)
    # PROMETHEUS_MULTIPROC_DIR: gunicorn workers share their metrics through it
    export PROMETHEUS_MULTIPROC_DIR="${PROMETHEUS_MULTIPROC_DIR:-/tmp/parvis-gateway-metrics}"
    rm -rf "$PROMETHEUS_MULTIPROC_DIR" && mkdir -p "$PROMETHEUS_MULTIPROC_DIR"
    exec python -m gunicorn --config python:deploy.gunicorn_conf \
      --bind "${PARVIS_BIND:-0.0.0.0:8000}" "$@" 'gateway.app:create_app()'
    ;;
  live)
    # the gateway's live hub (the bell's stream), on PARVIS_LIVE_PORT
    exec python -m gateway.live "$@"
    ;;
  service)
    exec python -m deploy.launcher service "$@"
    ;;
  identity|communities|feed|documents|translation|notifications|search|agenda)
    # the shipped services' short form; any installed service (a plug-in too): `service <name>`
    exec python -m deploy.launcher service "$command"
    ;;
  prepare|seed)
    exec python -m deploy.launcher "$command" "$@"
    ;;
  rabbitmq-users)
    # the broker users of every installed service (docs/security.md, "Broker credentials")
    exec python -m deploy.rabbitmq_users apply "$@"
    ;;
  *)
    exec "$command" "$@"
    ;;
esac

#!/usr/bin/env bash
# A RabbitMQ cluster of N nodes on loopback, for fault tests and local trials.
#
#   deploy/rabbitmq_cluster.sh start DIR [--nodes 3] [--amqp-port 5701] [--dist-port 25701]
#                                        [--name rabbit] [--quorum-vhost /] [--users]
#   deploy/rabbitmq_cluster.sh stop DIR                stop every node of DIR (by PID), remove DIR's state
#   deploy/rabbitmq_cluster.sh stop-node DIR I         stop node I only (by PID; its data stays)
#   deploy/rabbitmq_cluster.sh start-node DIR I        start node I again (it rejoins its cluster)
#   deploy/rabbitmq_cluster.sh status DIR              one line per node: name, AMQP port, PID, up/down
#   deploy/rabbitmq_cluster.sh uris DIR [ROLE]         the nodes' AMQP URIs joined with ";" (kombu failover),
#                                                      as guest or (--users) as the broker user of ROLE
#   deploy/rabbitmq_cluster.sh ctl DIR I ARGS...       rabbitmqctl against node I
#
# Node I (1..N) is "<name>I@localhost", listens for AMQP on 127.0.0.1:<amqp-port + I - 1> and
# for Erlang distribution on <dist-port + I - 1>, keeps its data and logs in DIR/nodeI, and
# has the management plugin disabled (an empty plugins file). All nodes share one Erlang
# cookie in DIR/.erlang.cookie (HOME=DIR for the nodes and for rabbitmqctl), nodes 2..N join
# node 1. The machine's own RabbitMQ (its node name, port, data and cookie) is never touched.
# With --nodes 1 it is a single private broker (the broker-restart test uses that).
#
# --users also creates the Parvis broker users (deploy/rabbitmq_users.py: one per installed
# service, gateway, prepare, operator, each allowed only its own queues and exchanges) on the
# quorum vhost (or /), with random passwords in DIR/users/<user> (mode 0600), imported as
# definitions; guest stays (the fault tests use it). `uris DIR feed` gives feed's URIs.
# It runs `python -m deploy.rabbitmq_users` with $PARVIS_PYTHON (default .venv/bin/python).
#
# Queue type is chosen by the client at declare time (a policy cannot change it): run the
# services with PARVIS_QUEUE_TYPE=quorum (see docs/operations.md) so that their durable
# queues are replicated across the nodes.
#
# Works as root (the nodes run as the caller, with files under DIR only) or as any user who
# can run the installed rabbitmq-server.
set -euo pipefail

RMQ_BIN=${RABBITMQ_BIN_DIR:-/usr/lib/rabbitmq/bin}
ROOT=$(cd "$(dirname "$0")/.." && pwd)
START_TIMEOUT=${PARVIS_RMQ_START_TIMEOUT:-90}
STOP_TIMEOUT=${PARVIS_RMQ_STOP_TIMEOUT:-30}

say() { printf 'rabbitmq_cluster: %s\n' "$*" >&2; }
die() { say "error: $*"; exit 1; }

usage() { sed -n '2,13p' "$0" | sed 's/^# \{0,1\}//' >&2; exit 2; }

[ -x "$RMQ_BIN/rabbitmq-server" ] || die "rabbitmq-server not found in $RMQ_BIN (apt-get install rabbitmq-server)"

# ---------------------------------------------------------------- state of DIR
# DIR/cluster.env holds NODES, AMQP_PORT, DIST_PORT, NAME; DIR/nodeI/pid the PID of node I.

load_state() {
  [ -f "$DIR/cluster.env" ] || die "$DIR holds no cluster (run: $0 start $DIR)"
  DIR=$(cd "$DIR" && pwd)
  # shellcheck disable=SC1091
  . "$DIR/cluster.env"
}

node_name() { printf '%s%s@localhost' "$NAME" "$1"; }
node_port() { printf '%s' $((AMQP_PORT + $1 - 1)); }
node_dir() { printf '%s/node%s' "$DIR" "$1"; }

node_pid() {
  local file
  file="$(node_dir "$1")/pid"
  [ -f "$file" ] && cat "$file"
}

node_alive() {
  local pid
  pid=$(node_pid "$1") || return 1
  [ -n "$pid" ] && kill -0 "$pid" 2>/dev/null
}

port_open() { timeout 2 bash -c "exec 3<>/dev/tcp/127.0.0.1/$1" >/dev/null 2>&1; }

# node_env I: the environment of node I (server and rabbitmqctl alike)
node_env() {
  local dir
  dir=$(node_dir "$1")
  printf '%s\n' \
    "HOME=$DIR" \
    "RABBITMQ_NODENAME=$(node_name "$1")" \
    "RABBITMQ_USE_LONGNAME=false" \
    "RABBITMQ_NODE_IP_ADDRESS=127.0.0.1" \
    "RABBITMQ_NODE_PORT=$(node_port "$1")" \
    "RABBITMQ_DIST_PORT=$((DIST_PORT + $1 - 1))" \
    "RABBITMQ_CONF_ENV_FILE=$dir/rabbitmq-env.conf" \
    "RABBITMQ_CONFIG_FILE=$dir/rabbitmq.conf" \
    "RABBITMQ_ADVANCED_CONFIG_FILE=$dir/advanced.config" \
    "RABBITMQ_ENABLED_PLUGINS_FILE=$dir/enabled_plugins" \
    "RABBITMQ_MNESIA_BASE=$dir/mnesia" \
    "RABBITMQ_MNESIA_DIR=$dir/mnesia/$(node_name "$1")" \
    "RABBITMQ_LOG_BASE=$dir/log" \
    "RABBITMQ_PID_FILE=$dir/rabbit.pid" \
    "RABBITMQ_SERVER_ADDITIONAL_ERL_ARGS=-kernel inet_dist_use_interface {127,0,0,1}" \
    "ERL_EPMD_ADDRESS=127.0.0.1"
}

ctl() {
  local i=$1
  shift
  local envs=()
  mapfile -t envs < <(node_env "$i")
  env "${envs[@]}" "$RMQ_BIN/rabbitmqctl" -n "$(node_name "$i")" "$@"
}

write_node_files() {
  local i=$1 dir
  dir=$(node_dir "$i")
  mkdir -p "$dir/mnesia" "$dir/log"
  : > "$dir/rabbitmq-env.conf"                 # not the machine's rabbitmq-env.conf
  printf '[].\n' > "$dir/enabled_plugins"       # no management, no other plugin
  printf '[].\n' > "$dir/advanced.config"
  cat > "$dir/rabbitmq.conf" <<EOF
listeners.tcp.1 = 127.0.0.1:$(node_port "$i")
loopback_users = none
disk_free_limit.absolute = 50MB
vm_memory_high_watermark.relative = 0.2
cluster_partition_handling = pause_minority
log.file.level = info
log.console = false
EOF
}

start_node() {
  local i=$1 dir envs=() pid
  dir=$(node_dir "$i")
  if node_alive "$i"; then
    say "$(node_name "$i") already runs (pid $(node_pid "$i"))"
    return 0
  fi
  port_open "$(node_port "$i")" && die "port $(node_port "$i") is already in use"
  mapfile -t envs < <(node_env "$i")
  # its own session: a Ctrl-C in the caller's terminal does not reach it; stdin closed
  # RUNNING_UNDER_SYSTEMD: the start script execs the Erlang VM itself (no wrapper shell),
  # so $! is the VM's PID: what `stop` signals and what a test may SIGSTOP
  env -u NOTIFY_SOCKET "${envs[@]}" RUNNING_UNDER_SYSTEMD=true \
    setsid "$RMQ_BIN/rabbitmq-server" </dev/null >>"$dir/log/console.log" 2>&1 &
  pid=$!
  echo "$pid" > "$dir/pid"
  say "started $(node_name "$i") (pid $pid, AMQP 127.0.0.1:$(node_port "$i"))"
}

wait_node() {
  local i=$1 deadline=$((SECONDS + START_TIMEOUT))
  until port_open "$(node_port "$i")"; do
    node_alive "$i" || die "$(node_name "$i") exited while starting; see $(node_dir "$i")/log"
    [ "$SECONDS" -lt "$deadline" ] || die "$(node_name "$i") did not listen within ${START_TIMEOUT}s"
    sleep 0.5
  done
  ctl "$i" await_startup --timeout "$START_TIMEOUT" >/dev/null
}

stop_node() {
  local i=$1 pid deadline
  pid=$(node_pid "$i") || return 0
  [ -n "$pid" ] || return 0
  if kill -0 "$pid" 2>/dev/null; then
    kill -TERM "$pid" 2>/dev/null || true     # the Erlang VM stops cleanly on SIGTERM
    deadline=$((SECONDS + STOP_TIMEOUT))
    while kill -0 "$pid" 2>/dev/null; do
      if [ "$SECONDS" -ge "$deadline" ]; then
        say "$(node_name "$i") (pid $pid) did not stop within ${STOP_TIMEOUT}s: killing it"
        kill -KILL "$pid" 2>/dev/null || true
        break
      fi
      sleep 0.3
    done
    # erl_child_setup and other helpers of that VM share its session
    pkill -KILL -s "$pid" 2>/dev/null || true
  fi
  rm -f "$(node_dir "$i")/pid"
  say "stopped $(node_name "$i")"
}

# ---------------------------------------------------------------- commands

# create_users VHOST: the Parvis broker users, their passwords in DIR/users
create_users() {
  local vhost=$1 python=${PARVIS_PYTHON:-}
  if [ -z "$python" ]; then
    python=python3
    [ -x "$ROOT/.venv/bin/python" ] && python="$ROOT/.venv/bin/python"
  fi
  mkdir -p "$DIR/users"
  chmod 700 "$DIR/users"
  (cd "$ROOT" && "$python" -m deploy.rabbitmq_users passwords --dir "$DIR/users" 2>/dev/null)
  (cd "$ROOT" && "$python" -m deploy.rabbitmq_users definitions --vhost "$vhost" \
    --password-dir "$DIR/users" --without-vhost) > "$DIR/users/definitions.json"
  chmod 600 "$DIR/users/definitions.json"
  ctl 1 import_definitions "$DIR/users/definitions.json" >/dev/null
  printf 'USERS_VHOST=%s\n' "$vhost" >> "$DIR/cluster.env"
  say "broker users created on vhost $vhost (passwords in $DIR/users; $0 uris $DIR <role>)"
}

cmd_start() {
  NODES=3 AMQP_PORT=5701 DIST_PORT=25701 NAME=rabbit
  local quorum_vhost="" users=""
  while [ $# -gt 0 ]; do
    case "$1" in
      --nodes) NODES=$2; shift 2 ;;
      --amqp-port) AMQP_PORT=$2; shift 2 ;;
      --dist-port) DIST_PORT=$2; shift 2 ;;
      --name) NAME=$2; shift 2 ;;
      --quorum-vhost) quorum_vhost=$2; shift 2 ;;
      --users) users=1; shift ;;
      *) die "unknown option $1" ;;
    esac
  done
  [[ "$NODES" =~ ^[1-9][0-9]?$ ]] || die "--nodes must be 1..99"
  [[ "$NAME" =~ ^[A-Za-z][A-Za-z0-9_-]*$ ]] || die "--name must be letters, digits, - or _"
  if [ "$AMQP_PORT" -le 5672 ] && [ $((AMQP_PORT + NODES - 1)) -ge 5672 ]; then
    die "the ports would include 5672, the machine's broker"
  fi
  if [ -f "$DIR/cluster.env" ]; then
    die "$DIR already holds a cluster: stop it first ($0 stop $DIR)"
  fi
  mkdir -p "$DIR"
  DIR=$(cd "$DIR" && pwd)
  printf 'NODES=%s\nAMQP_PORT=%s\nDIST_PORT=%s\nNAME=%s\n' "$NODES" "$AMQP_PORT" "$DIST_PORT" \
    "$NAME" > "$DIR/cluster.env"
  umask 077
  head -c 32 /dev/urandom | od -An -tx1 | tr -d ' \n' > "$DIR/.erlang.cookie"
  chmod 400 "$DIR/.erlang.cookie"
  umask 022
  local i
  # whatever fails from here (die exits), the nodes already started are stopped
  trap 'say "start failed: stopping what started"; cmd_stop_nodes' EXIT
  for i in $(seq 1 "$NODES"); do
    write_node_files "$i"
    start_node "$i"          # all boot at once: faster on a multi-core machine
  done
  for i in $(seq 1 "$NODES"); do
    wait_node "$i"
  done
  for i in $(seq 2 "$NODES"); do
    ctl "$i" stop_app >/dev/null
    ctl "$i" join_cluster "$(node_name 1)" >/dev/null
    ctl "$i" start_app >/dev/null
    say "$(node_name "$i") joined $(node_name 1)"
  done
  if [ -n "$quorum_vhost" ]; then
    # a vhost whose queues declared without x-queue-type are quorum queues, where the
    # broker supports it (3.11+); the services also declare the type themselves
    ctl 1 add_vhost "$quorum_vhost" --default-queue-type quorum >/dev/null 2>&1 \
      || ctl 1 add_vhost "$quorum_vhost" >/dev/null 2>&1 || true
    ctl 1 set_permissions -p "$quorum_vhost" guest '.*' '.*' '.*' >/dev/null
  fi
  if [ -n "$users" ]; then
    create_users "${quorum_vhost:-/}"
  fi
  trap - EXIT
  cmd_uris
}

cmd_stop_nodes() {
  local i
  for i in $(seq "$NODES" -1 1); do
    stop_node "$i"
  done
}

cmd_stop() {
  cmd_stop_nodes
  rm -rf "${DIR:?}"/node* "$DIR/cluster.env" "$DIR/.erlang.cookie" "$DIR/users"
  rmdir "$DIR" 2>/dev/null || true
}

cmd_status() {
  local i state
  for i in $(seq 1 "$NODES"); do
    state=down
    node_alive "$i" && state=up
    printf '%s\t127.0.0.1:%s\t%s\t%s\n' "$(node_name "$i")" "$(node_port "$i")" \
      "$(node_pid "$i" || echo -)" "$state"
  done
}

cmd_uris() {
  local i uris=() credentials=guest:guest path=""
  if [ -n "${1:-}" ]; then
    local user="parvis-$1"
    [ -f "$DIR/users/$user" ] || die "no broker user $user in $DIR (start with --users)"
    credentials="$user:$(cat "$DIR/users/$user")"
    [ "${USERS_VHOST:-/}" = "/" ] || path=$USERS_VHOST
  fi
  for i in $(seq 1 "$NODES"); do
    uris+=("amqp://$credentials@127.0.0.1:$(node_port "$i")/$path")
  done
  (IFS=';'; printf '%s\n' "${uris[*]}")
}

check_index() {
  [[ "$1" =~ ^[0-9]+$ ]] && [ "$1" -ge 1 ] && [ "$1" -le "$NODES" ] || die "node index must be 1..$NODES"
}

[ $# -ge 2 ] || usage
COMMAND=$1
DIR=$2
shift 2
case "$COMMAND" in
  start) cmd_start "$@" ;;
  stop) load_state; cmd_stop ;;
  stop-node) load_state; check_index "${1:-}"; stop_node "$1" ;;
  start-node) load_state; check_index "${1:-}"; start_node "$1"; wait_node "$1" ;;
  status) load_state; cmd_status ;;
  uris) load_state; cmd_uris "${1:-}" ;;
  ctl) load_state; check_index "${1:-}"; i=$1; shift; ctl "$i" "$@" ;;
  *) usage ;;
esac

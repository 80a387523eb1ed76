#!/usr/bin/env bash
# Make sure PostgreSQL, RabbitMQ and Redis answer on this machine: start any
# that is installed but stopped; otherwise say exactly what is missing.
# Services on other hosts (set through AMQP_URI, DATABASE_URL_TEMPLATE,
# REDIS_URL) are only checked, never started.
set -u

port_open() { (exec 3<>"/dev/tcp/$1/$2") 2>/dev/null; }

wait_for() { # name host port seconds
  local i
  for ((i = 0; i < $4 * 2; i++)); do port_open "$2" "$3" && return 0; sleep 0.5; done
  return 1
}

host_port() { # URL default-port -> "host port"
  python3 - "$1" "$2" <<'PY'
import sys
from urllib.parse import urlsplit
u = urlsplit(sys.argv[1].replace("{service}", "x"))
print(u.hostname or "127.0.0.1", u.port or int(sys.argv[2]))
PY
}

is_local() { [[ "$1" == "127.0.0.1" || "$1" == "localhost" || "$1" == "::1" ]]; }

missing=()

ensure() { # name host port start-command install-hint
  local name=$1 host=$2 port=$3 start=$4 hint=$5
  if port_open "$host" "$port"; then echo "✓ $name is answering on $host:$port"; return 0; fi
  if ! is_local "$host"; then
    missing+=("$name is not answering on $host:$port (a remote server: start it there)"); return 1
  fi
  if [[ -z "$start" ]]; then missing+=("$name is not installed: $hint"); return 1; fi
  echo "… starting $name"
  bash -c "$start" >/dev/null 2>&1
  if wait_for "$name" "$host" "$port" 90; then echo "✓ $name started on $host:$port"; return 0; fi
  missing+=("$name is installed but did not start on $host:$port (tried: $start)"); return 1
}

read -r pg_host pg_port < <(host_port "${DATABASE_URL_TEMPLATE:-postgresql://postgres@127.0.0.1:5432/x}" 5432)
read -r mq_host mq_port < <(host_port "${AMQP_URI:-amqp://guest:guest@127.0.0.1:5672/}" 5672)
read -r rd_host rd_port < <(host_port "${REDIS_URL:-redis://127.0.0.1:6379/0}" 6379)

pg_start=""
if command -v pg_ctlcluster >/dev/null && ls /etc/postgresql >/dev/null 2>&1; then
  pg_start="pg_ctlcluster --skip-systemctl-redirect $(ls /etc/postgresql | sort -V | tail -1) main start"
fi
mq_start=""
command -v rabbitmq-server >/dev/null && mq_start="rabbitmq-server -detached"
rd_start=""
command -v redis-server >/dev/null && rd_start="mkdir -p /var/lib/redis /var/log/redis; redis-server --daemonize yes --bind 127.0.0.1 --port $rd_port --save '' --appendonly no --dir /var/lib/redis --logfile /var/log/redis/tracker.log"

ensure PostgreSQL "$pg_host" "$pg_port" "$pg_start" "apt-get install postgresql (or set DATABASE_URL_TEMPLATE)"
ensure RabbitMQ "$mq_host" "$mq_port" "$mq_start" "apt-get install rabbitmq-server (or set AMQP_URI)"
ensure Redis "$rd_host" "$rd_port" "$rd_start" "apt-get install redis-server (or set REDIS_URL)"

# RabbitMQ opens its port before it can take connections: wait until it does.
if port_open "$mq_host" "$mq_port" && command -v rabbitmqctl >/dev/null && is_local "$mq_host"; then
  timeout 90 rabbitmqctl await_startup >/dev/null 2>&1 || true
fi

if ((${#missing[@]})); then
  printf '✗ %s\n' "${missing[@]}" >&2
  exit 1
fi

#!/usr/bin/env bash
# Makes sure PostgreSQL (PG_HOST:PG_PORT, user postgres, trust auth, database `test`) and Redis
# (REDIS_HOST:REDIS_PORT) answer. Leaves already-running services alone; on a fresh Debian/Ubuntu
# machine installs them with apt and starts them without systemd (containers usually lack it).
set -euo pipefail

PG_HOST=${PG_HOST:-127.0.0.1}
PG_PORT=${PG_PORT:-5432}
REDIS_HOST=${REDIS_HOST:-127.0.0.1}
REDIS_PORT=${REDIS_PORT:-6379}

log() { echo "[services] $*"; }

as_root() {
  if [ "$(id -u)" -eq 0 ]; then "$@"; elif command -v sudo >/dev/null 2>&1; then sudo "$@"; else
    log "need root (or sudo) to run: $*"; return 1
  fi
}

# Plain TCP probes so they work before any client tools are installed.
pg_up() {
  if command -v pg_isready >/dev/null 2>&1; then
    pg_isready -q -h "$PG_HOST" -p "$PG_PORT"
  else
    (exec 3<>"/dev/tcp/$PG_HOST/$PG_PORT") 2>/dev/null
  fi
}

redis_up() {
  local reply
  reply=$( { exec 3<>"/dev/tcp/$REDIS_HOST/$REDIS_PORT" && printf 'PING\r\n' >&3 && timeout 2 head -c 5 <&3; } 2>/dev/null || true)
  [[ "$reply" == "+PONG"* ]]
}

wait_for() { # name probe-fn
  for _ in $(seq 1 60); do "$2" && return 0; sleep 0.5; done
  log "$1 did not come up"; return 1
}

apt_updated=0
apt_install() {
  if ! command -v apt-get >/dev/null 2>&1; then
    log "cannot install $* automatically (no apt-get); start it yourself and rerun"; return 1
  fi
  if [ "$apt_updated" -eq 0 ]; then as_root apt-get update -qq; apt_updated=1; fi
  as_root env DEBIAN_FRONTEND=noninteractive apt-get install -y -qq "$@"
}

start_postgres() {
  local installed_now=0
  if ! command -v pg_ctlcluster >/dev/null 2>&1; then
    log "installing postgresql"
    apt_install postgresql
    installed_now=1
  fi
  local ver
  ver=$(ls /etc/postgresql 2>/dev/null | sort -V | tail -1 || true)
  if [ -z "$ver" ]; then
    ver=$(ls /usr/lib/postgresql | sort -V | tail -1)
    as_root pg_createcluster "$ver" main
  fi
  local conf="/etc/postgresql/$ver/main" action=start
  if as_root pg_ctlcluster "$ver" main status >/dev/null 2>&1; then
    # A cluster the package just started is ours to reconfigure; never touch one that was
    # already running (someone else may be using it).
    if [ "$installed_now" -eq 0 ]; then
      log "postgresql $ver/main is running but not on $PG_HOST:$PG_PORT; fix PG_PORT/DATABASE_URL"; return 1
    fi
    action=restart
  fi
  # Local CI only: trust auth for TCP from loopback so DATABASE_URL needs no password.
  as_root sed -i -E 's/^(host\s+all\s+all\s+(127\.0\.0\.1\/32|::1\/128)\s+)\S+/\1trust/' "$conf/pg_hba.conf"
  as_root sed -i -E "s/^#?port\s*=.*/port = $PG_PORT/" "$conf/postgresql.conf"
  log "${action}ing postgresql $ver on port $PG_PORT"
  as_root pg_ctlcluster "$ver" main "$action"
  wait_for postgresql pg_up
}

start_redis() {
  if ! command -v redis-server >/dev/null 2>&1; then
    log "installing redis-server"
    apt_install redis-server
    if redis_up; then log "redis answers after install"; return 0; fi
  fi
  log "starting redis on port $REDIS_PORT"
  # No persistence: CI data is throw-away.
  redis-server --port "$REDIS_PORT" --bind "$REDIS_HOST" --daemonize yes --save '' --appendonly no \
    --dir "${TMPDIR:-/tmp}" --pidfile "${TMPDIR:-/tmp}/rimwatch-redis-$REDIS_PORT.pid" \
    --logfile "${TMPDIR:-/tmp}/rimwatch-redis-$REDIS_PORT.log"
  wait_for redis redis_up
}

if pg_up; then log "postgresql answers on $PG_HOST:$PG_PORT"; else start_postgres; fi
if redis_up; then log "redis answers on $REDIS_HOST:$REDIS_PORT"; else start_redis; fi

# The default DATABASE_URL of tests and CI points at database `test`.
if command -v psql >/dev/null 2>&1; then
  exists=$(psql -w -h "$PG_HOST" -p "$PG_PORT" -U postgres -d postgres -tAc "SELECT 1 FROM pg_database WHERE datname = 'test'")
  if [ "$exists" != 1 ]; then
    log "creating database test"
    psql -w -h "$PG_HOST" -p "$PG_PORT" -U postgres -d postgres -qc 'CREATE DATABASE test'
  fi
fi
log "ready"

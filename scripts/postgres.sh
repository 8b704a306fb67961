#!/usr/bin/env bash
# Sourced by scripts/test and bench/replicas: a throwaway PostgreSQL cluster on 127.0.0.1
# (start_postgres exports STSBRIDGE_TEST_POSTGRES_URL; stop_postgres removes it).

PG_TMP=""
PG_BIN=""
PG_AS=()

stop_postgres() {
  [ -n "$PG_TMP" ] || return 0
  if [ -f "$PG_TMP/data/postmaster.pid" ]; then
    (cd "$PG_TMP" && "${PG_AS[@]}" "$PG_BIN/pg_ctl" -D "$PG_TMP/data" -m immediate -w stop) \
      >/dev/null 2>&1 || true
  fi
  rm -rf "$PG_TMP"
  PG_TMP=""
}

# A free loopback port: a random one that nothing listens on (per /proc/net/tcp{,6}).
free_port() {
  local port hex
  while :; do
    port=$((20000 + RANDOM % 40000))
    hex=$(printf ':%04X ' "$port")
    if ! grep -q "$hex" /proc/net/tcp /proc/net/tcp6 2>/dev/null; then
      echo "$port"
      return
    fi
  done
}

# initdb into a temporary directory and start PostgreSQL on 127.0.0.1 only, trust auth for
# the superuser `stsbridge`, no fsync (the data is thrown away). PostgreSQL refuses to run as
# root, so as root the cluster belongs to the `postgres` user the Debian package creates.
start_postgres() {
  local started port attempt
  started=$(date +%s%N)
  PG_BIN=$(ls -d /usr/lib/postgresql/*/bin 2>/dev/null | sort -V | tail -n 1)
  if [ ! -x "$PG_BIN/initdb" ]; then
    echo "no PostgreSQL server under /usr/lib/postgresql; install the postgresql package" >&2
    exit 1
  fi
  PG_TMP=$(mktemp -d "${TMPDIR:-/tmp}/stsbridge-pg.XXXXXX")
  if [ "$(id -u)" = 0 ]; then
    PG_AS=(runuser -u postgres --)
    chown postgres: "$PG_TMP"
  fi
  # Run from the cluster directory: the postgres user may not be able to read ours.
  (cd "$PG_TMP" && "${PG_AS[@]}" "$PG_BIN/initdb" -D "$PG_TMP/data" -U stsbridge \
    --auth=trust -E UTF8 --locale=C.UTF-8 --no-sync) >"$PG_TMP/initdb.log" 2>&1 || {
    cat "$PG_TMP/initdb.log" >&2
    exit 1
  }
  # Another process may take the port between the check and the start: try a few.
  for attempt in 1 2 3 4 5; do
    port=$(free_port)
    if (cd "$PG_TMP" && "${PG_AS[@]}" "$PG_BIN/pg_ctl" -D "$PG_TMP/data" -l "$PG_TMP/server.log" \
      -w -t 30 -o "-c listen_addresses=127.0.0.1 -p $port -k $PG_TMP -c max_connections=200 \
      -c fsync=off -c synchronous_commit=off -c full_page_writes=off" start) >/dev/null 2>&1; then
      export STSBRIDGE_TEST_POSTGRES_URL="postgres://stsbridge@127.0.0.1:$port/postgres"
      echo "PostgreSQL ($("$PG_BIN/postgres" --version | awk '{print $3}')) on 127.0.0.1:$port," \
        "ready in $((($(date +%s%N) - started) / 1000000)) ms" >&2
      return
    fi
    echo "PostgreSQL did not start on port $port (attempt $attempt):" >&2
    tail -n 5 "$PG_TMP/server.log" >&2 || true
  done
  exit 1
}


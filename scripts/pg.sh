#!/usr/bin/env bash
# Makes sure a PostgreSQL answers on 127.0.0.1:5432 with the role `ppt` (password `ppt`,
# allowed to create databases) and its database `ppt`; installs Debian's `postgresql` and
# starts it when nothing answers. Safe to run again. Prints the database's URL.
#   bash scripts/pg.sh          ensure, then print postgres://ppt:ppt@127.0.0.1:5432/ppt
set -euo pipefail
host=127.0.0.1
port="${PPT_PG_PORT:-5432}"
say() { printf '\033[1;34m[pg]\033[0m %s\n' "$*" >&2; }

answers() { command -v pg_isready >/dev/null && pg_isready -q -h "$host" -p "$port"; }

if ! answers; then
  if ! ls /usr/lib/postgresql/*/bin/postgres >/dev/null 2>&1; then
    say "installing PostgreSQL (Debian's postgresql)"
    export DEBIAN_FRONTEND=noninteractive
    apt-get update -qq
    apt-get install -y -qq postgresql >/dev/null
  fi
  version="$(ls /usr/lib/postgresql | sort -V | tail -n 1)"
  if ! pg_lsclusters -h 2>/dev/null | awk '{print $1" "$2}' | grep -qx "$version main"; then
    say "creating the cluster $version/main"
    pg_createcluster "$version" main >/dev/null
  fi
  say "starting PostgreSQL $version on port $port"
  pg_ctlcluster --skip-systemctl-redirect "$version" main start
  for _ in $(seq 1 50); do answers && break; sleep 0.2; done
  answers || { say "PostgreSQL did not start; see /var/log/postgresql/"; exit 1; }
fi

# Administration as the superuser: through the local socket as the `postgres` account (peer
# authentication, Debian's default), else over TCP (trust, as on CI machines).
admin() {
  if id postgres >/dev/null 2>&1 && [ -S "/var/run/postgresql/.s.PGSQL.$port" ]; then
    runuser -u postgres -- psql -X -q -v ON_ERROR_STOP=1 -p "$port" -d postgres "$@"
  else
    psql -X -q -v ON_ERROR_STOP=1 -h "$host" -p "$port" -U postgres -d postgres "$@"
  fi
}
if [ "$(admin -Atc "SELECT 1 FROM pg_roles WHERE rolname = 'ppt'")" != 1 ]; then
  say "creating the role ppt"
  admin -c "CREATE ROLE ppt LOGIN PASSWORD 'ppt' CREATEDB"
fi
if [ "$(admin -Atc "SELECT 1 FROM pg_database WHERE datname = 'ppt'")" != 1 ]; then
  say "creating the database ppt"
  admin -c "CREATE DATABASE ppt OWNER ppt"
fi
echo "postgres://ppt:ppt@$host:$port/ppt"

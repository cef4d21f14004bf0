#!/usr/bin/env bash
# Deploys the service to the hosts given on the command line.
set -euo pipefail

readonly retries=3

# Logs a message with a timestamp.
log() {
    printf '%s %s\n' "$(date +%T)" "$*" >&2
}

# Copies the release to one host, retrying with a growing pause.
deploy_host() {
    local host=$1 attempt
    for ((attempt = 1; attempt <= retries; attempt++)); do
        if rsync -a release/ "$host:/srv/app/"; then
            log "deployed to $host"
            return 0
        fi
        sleep $((attempt * 2))
    done
    return 1
}

function restart_service {
    ssh "$1" systemctl restart app
}

for host in "$@"; do
    deploy_host "$host" && restart_service "$host"
done

#!/usr/bin/env bash
# Runs ppt-web as a cluster: three ppt-server nodes on one PostgreSQL, behind HAProxy on
# http://127.0.0.1:8080 (WebSockets passed through, nodes checked at /readyz).
# PostgreSQL: the one at PPT_DB when that is a postgres:// URL, else a local one (scripts/pg.sh
# installs and starts it when none answers). Extra arguments go to every node.
# Ctrl-C stops the nodes and the balancer (PostgreSQL keeps running).
set -euo pipefail
source "$(dirname "${BASH_SOURCE[0]}")/env.sh"
cd "$PPT_ROOT"
say() { printf '\033[1;34m[cluster]\033[0m %s\n' "$*"; }

bash scripts/setup.sh --cluster
case "${PPT_DB:-}" in
  postgres://*|postgresql://*) db="$PPT_DB" ;;
  *) db="$(bash scripts/pg.sh)" ;;
esac
bash scripts/build-app.sh
cargo build --release -p ppt-server
target_dir="$(cargo metadata --format-version 1 --no-deps | python3 -c 'import json,sys; print(json.load(sys.stdin)["target_directory"])')"

addr="${PPT_CLUSTER_ADDR:-127.0.0.1:8080}"
stats="${PPT_CLUSTER_STATS:-127.0.0.1:8404}"
ports=(8181 8182 8183)
run_dir="$(mktemp -d -t ppt-cluster.XXXXXX)"
pids=()
stop() {
  trap - EXIT INT TERM
  say "stopping"
  for p in "${pids[@]}"; do kill "$p" 2>/dev/null || true; done
  wait 2>/dev/null || true
}
trap stop EXIT INT TERM

servers=""
for i in "${!ports[@]}"; do
  n=$((i + 1))
  # Every node: the same database (accounts, data, the event log, the JWT secret).
  PPT_DB="$db" "$target_dir/release/ppt-server" --demo --trusted-proxy 127.0.0.1 --addr "127.0.0.1:${ports[$i]}" \
    --static-dir "$PPT_ROOT/dist" "$@" >"$run_dir/n$n.log" 2>&1 &
  pids+=($!)
  servers+="    server n$n 127.0.0.1:${ports[$i]} check"$'\n'
done
python3 - "$addr" "$stats" "$servers" "$run_dir/haproxy.cfg" <<'PY'
import sys
bind, stats, servers, out = sys.argv[1:5]
cfg = open("deploy/haproxy.cfg").read()
open(out, "w").write(cfg.replace("@BIND@", bind).replace("@STATS@", stats).replace("@SERVERS@", servers.rstrip("\n")))
PY
haproxy -c -q -f "$run_dir/haproxy.cfg"
haproxy -f "$run_dir/haproxy.cfg" -db >"$run_dir/haproxy.log" 2>&1 &
pids+=($!)

# Ready when HAProxy sees every node up (its checks run every 500 ms).
for _ in $(seq 1 240); do
  up="$(python3 -c 'import sys, urllib.request; print(urllib.request.urlopen(sys.argv[1], timeout=2).read().decode())' "http://$stats/stats;csv" 2>/dev/null | awk -F, '$1 == "nodes" && $2 ~ /^n[0-9]+$/ && $18 == "UP"' | wc -l || true)"
  [ "$up" = "${#ports[@]}" ] && break
  for p in "${pids[@]}"; do kill -0 "$p" 2>/dev/null || { say "a process exited; logs in $run_dir"; tail -n 5 "$run_dir"/*.log; exit 1; }; done
  sleep 0.5
done
[ "$up" = "${#ports[@]}" ] || { say "the nodes did not come up; logs in $run_dir"; exit 1; }

shown_db="$(printf '%s' "$db" | sed -E 's#(://[^:/@]+):[^@]*@#\1:***@#')"
cat <<MSG

  ppt-web cluster on http://$addr  (HAProxy; statistics: http://$stats/stats)
  nodes: ${ports[*]/#/127.0.0.1:}   database: $shown_db
  logs: $run_dir

  demo logins (password demo1234):
    alice@demo.ppt   resident
    bob@demo.ppt     resident
    carol@demo.ppt   resident
    martin@demo.ppt  manager

  Kill a node to watch its residents move to the others: kill -9 ${pids[0]}   (n1)
  Ctrl-C stops the cluster.

MSG
wait

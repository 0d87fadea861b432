#!/usr/bin/env bash
# jetcron end to end beside River, asynq and raw JetStream, measured in one
# run on the same machine, printed as one table with ratios
# (docs/benchmarks.md, issue 12).
#
#   tests/bench/peers.sh                 # everything, 5 to 10 minutes on 2 cores
#   go tool task bench:peers             # the same
#   PEERS_DIR=/path/to/peers tests/bench/peers.sh
#
# It copies the peers harness (default: ../shared/bench/peers beside the main
# checkout; it starts its own Redis, a throw-away PostgreSQL and a
# nats-server, see its README.md) to a temp dir and runs it there, then runs
# jetcron's end-to-end phases (go run ./tests/bench -run e2e,...), and prints
# the table. Knobs (environment):
#   REPS=1 QUICK=1    the harness's repetitions and sizes (QUICK=1: 10,000-job
#                     backlogs, 2 s latency runs, as in issue 12)
#   E2E_JOBS=5000     jetcron's jobs due at one instant
#   STEADY_RATE=1000 STEADY_DURATION=5s    jetcron's steady phases (a rate above what
#                     it sustains leaves a backlog the phase waits for)
#   CONCURRENCY=1000  the worker's concurrency of the second burst (0: none;
#                     the first runs at the bench's default, 64)
#   BENCH_ARGS=...    more flags for tests/bench (e.g. -cpuprofile /tmp/cpu)
#   KEEP=DIR          keep the raw outputs (harness table, jetcron reports) and
#                     jetcron's CPU profiles (cpu-sync.e2e, ...) in DIR
set -euo pipefail
cd "$(dirname "$0")/../.."
REPO=$PWD
MAIN=$(dirname "$(git rev-parse --path-format=absolute --git-common-dir)")
PEERS_DIR=${PEERS_DIR:-$MAIN/../shared/bench/peers}
[ -x "$PEERS_DIR/run.sh" ] || { echo "peers harness not found at $PEERS_DIR (set PEERS_DIR)" >&2; exit 2; }
export REPS=${REPS:-1} QUICK=${QUICK:-1}
E2E_JOBS=${E2E_JOBS:-5000} STEADY_RATE=${STEADY_RATE:-1000} STEADY_DURATION=${STEADY_DURATION:-5s}

[ -n "${KEEP:-}" ] && mkdir -p "$KEEP" && KEEP=$(cd "$KEEP" && pwd)
TMP=$(mktemp -d -t jetcron-peers.XXXXXX)
trap 'rm -rf "$TMP"' EXIT
cp -r "$PEERS_DIR" "$TMP/peers"
rm -rf "$TMP/peers/results" "$TMP/peers/bin"

echo "building tests/bench..." >&2
# Linked as production's binary (deploy/Dockerfile): without cgo, each
# command's supervisor starts without the dynamic loader.
CGO_ENABLED=0 go build -o "$TMP/jcbench" ./tests/bench
started=$(date -u +%Y-%m-%dT%H:%M:%SZ)

# shellcheck disable=SC2086 # BENCH_ARGS is a list of flags
run_jetcron() { # run_jetcron NAME FLAGS...: the e2e phases, figures to $TMP/NAME.tsv
  local name=$1; shift
  [ -n "${KEEP:-}" ] && set -- "$@" -cpuprofile "$KEEP/cpu-$name"
  echo "jetcron $name: $*" >&2
  "$TMP/jcbench" -e2e-jobs "$E2E_JOBS" -steady-rate "$STEADY_RATE" -steady-duration "$STEADY_DURATION" \
    -summary "$TMP/$name.tsv" "$@" ${BENCH_ARGS:-} > "$TMP/$name.txt"
}
run_jetcron sync -run e2e,e2e-cmd,steady,steady-cmd
run_jetcron nosync -no-sync -run e2e,steady
# The burst again with a worker as wide as the peers' (River's MaxWorkers
# is 2000): CONCURRENCY=0 skips it.
CONCURRENCY=${CONCURRENCY:-1000}
if [ "$CONCURRENCY" -gt 0 ]; then
  run_jetcron sync-wide -run e2e -concurrency "$CONCURRENCY"
  run_jetcron nosync-wide -no-sync -run e2e -concurrency "$CONCURRENCY"
fi

echo "peers harness (REPS=$REPS QUICK=$QUICK) in $TMP/peers..." >&2
(cd "$TMP/peers" && NATS_ONLY=e2eres,lat NATS_SYNC_ONLY=e2eres ./run.sh nats nats-syncalways asynq river) > "$TMP/peers.md"


{
  echo "# jetcron beside its peers, $started"
  echo
  echo "- machine: $(nproc) CPUs ($(awk -F': ' '/model name/ {print $2; exit}' /proc/cpuinfo)), $(go version | cut -d' ' -f3-), load average at the end: $(cut -d' ' -f1-3 /proc/loadavg)"
  echo "- jetcron: \`go run ./tests/bench -run e2e,e2e-cmd,steady,steady-cmd -e2e-jobs $E2E_JOBS -steady-rate $STEADY_RATE -steady-duration $STEADY_DURATION ${BENCH_ARGS:-}\`, \`... -no-sync -run e2e,steady\` and \`... [-no-sync] -run e2e -concurrency $CONCURRENCY\` (commit $(git -C "$REPO" rev-parse --short HEAD))"
  echo "- peers: \`REPS=$REPS QUICK=$QUICK NATS_ONLY=e2eres,lat NATS_SYNC_ONLY=e2eres ./run.sh nats nats-syncalways asynq river\` (a copy of $PEERS_DIR)"
  echo
  wide=()
  [ "$CONCURRENCY" -gt 0 ] && wide=("$TMP/sync-wide.tsv" "$TMP/nosync-wide.tsv")
  awk -F'\t' -v wide="$CONCURRENCY" -f "$REPO/tests/bench/peers.awk" "$TMP/sync.tsv" "$TMP/nosync.tsv" "${wide[@]}" FS='|' "$TMP/peers.md"
} | tee "$TMP/table.md"
if [ -n "${KEEP:-}" ]; then
  cp "$TMP"/*.tsv "$TMP"/*.txt "$TMP/peers.md" "$TMP/table.md" "$KEEP/"
fi


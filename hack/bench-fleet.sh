#!/usr/bin/env bash
# make bench-fleet (issue #18): the fleet benchmark (operator/src/test/java/dev/pymode/operator/bench/
# FleetBenchmark.java) run on a baseline commit and on this checkout, then printed side by side. Each run packages
# its operator first: the last phase stops the benchmark's operator and starts the packaged one as a new process.
# The baseline runs in a detached worktree with this checkout's benchmark class, its test support, devenv's stand-in
# launcher and the Cloudflare stand-in (the instrument), and the baseline's operator and client (the subject). Sizes as FleetBenchmark's -Dfleet.* properties:
#   FLEET_WORKERS (200), FLEET_NAMESPACES (10), FLEET_WORKFLOWS (workers/10), FLEET_STEADY_SECONDS (300),
#   FLEET_RESYNC (PT1M), FLEET_SKIP (phases to leave out: status-lost, cache-hit), BASELINE (the commit before #18's work:
#   666e741), BASELINE=none skips it.
set -euo pipefail
cd "$(dirname "$0")/.."
root=$(pwd)
baseline=${BASELINE:-666e741}
out=$(mktemp -d /tmp/pymode-bench-fleet.XXXXXX)
KUBE_API_TEST_DIR="$(hack/prepare-java.sh | tail -n 1)"
export KUBE_API_TEST_DIR
props=(-Dfleet.workers="${FLEET_WORKERS:-200}" -Dfleet.namespaces="${FLEET_NAMESPACES:-10}"
       -Dfleet.steadySeconds="${FLEET_STEADY_SECONDS:-300}" -Dfleet.resync="${FLEET_RESYNC:-PT1M}")
[ -n "${FLEET_WORKFLOWS:-}" ] && props+=(-Dfleet.workflows="$FLEET_WORKFLOWS")
[ -n "${FLEET_SKIP:-}" ] && props+=(-Dfleet.skip="$FLEET_SKIP")

run() { # dir label
  echo "== $2: $(git -C "$1" log -1 --format='%h %s' | cut -c1-100)" >&2
  # the packaged operator first: the restart phase starts it as a new process
  (cd "$1" && mvn -B -q -pl operator -am package -DskipTests -Djacoco.skip=true) > "$out/$2.package.log" 2>&1 \
    || { echo "bench-fleet: packaging the $2 operator failed; see $out/$2.package.log" >&2; exit 1; }
  (cd "$1" && mvn -B -q -pl operator -am test -Dgroups=benchmark -Dsurefire.excluded.groups= \
      -Dtest=FleetBenchmark -Dsurefire.failIfNoSpecifiedTests=false -Djacoco.skip=true "${props[@]}" \
      -Dfleet.out="$out/$2.json") | tee "$out/$2.log" | grep -E '^(== |[a-z0-9% ()-]+ +\{|      )' >&2 || true
  [ -s "$out/$2.json" ] || { echo "bench-fleet: the $2 run wrote no figures; see $out/$2.log" >&2; exit 1; }
}

if [ "$baseline" != none ]; then
  wt="$out/baseline"
  git worktree add --detach "$wt" "$baseline" >/dev/null
  trap 'git -C "$root" worktree remove --force "$wt" >/dev/null 2>&1 || true' EXIT
  mkdir -p "$wt/operator/src/test/java/dev/pymode/operator/bench"
  for f in operator/src/test/java/dev/pymode/operator/bench/FleetBenchmark.java \
           operator/src/test/java/dev/pymode/operator/bench/PrometheusText.java \
           operator/src/test/java/dev/pymode/operator/support/EndToEndResource.java \
           operator/src/test/java/dev/pymode/operator/support/Standin.java \
           devenv/src/main/java/dev/pymode/devenv/LocalCloudflare.java; do
    cp "$f" "$wt/$f"
  done
  rm -rf "$wt/cfstandin" && cp -a cfstandin "$wt/cfstandin"
  ln -s "$root/worker/node_modules" "$wt/worker/node_modules"
  run "$wt" baseline
fi
run "$root" current

python3 - "$out" <<'PY'
import json, pathlib, sys
out = pathlib.Path(sys.argv[1])
runs = {p.stem: json.loads(p.read_text()) for p in sorted(out.glob("*.json"))}
labels = [l for l in ("baseline", "current") if l in runs]
first = runs[labels[-1]]
print(f"\n== bench-fleet: {first['workers']} workers in {first['namespaces']} namespaces, {first['workflows']} "
      f"scheduled workflows, resync every {first['resync']} (one JVM holds the operator and the benchmark; "
      f"the restart's heap (used, not after GC) and RSS are the new operator process's, run with the image's JVM options under the chart's 512Mi limit)")
cols = [("seconds", "s"), ("budgetFloorSeconds", "floor s"), ("cloudflareCalls", "CF calls"), ("uploads", "uploads"), ("cloudflareCallsPer5Min", "CF/5min"),
        ("applyToReadyP50Ms", "p50 ms"), ("applyToReadyP99Ms", "p99 ms"), ("apiServerRequests", "API req"),
        ("heapMiB", "heap MiB"), ("rssMiB", "RSS MiB"), ("reconciles", "reconciles"),
        ("reconcileP50Ms", "rec p50<="), ("reconcileP99Ms", "rec p99<="), ("permitWaits", "CF waits"),
        ("permitWaitSeconds", "wait s"), ("refused", "refused")]
print("(floor s: the least time the operator's Cloudflare budget (rate and burst) lets the phase's calls take on one token; "
      "rec p50<= / p99<=: PyModeWorker reconcile latency, the upper bound in ms of JOSDK's timer bucket holding it; "
      "CF waits / wait s: Cloudflare calls that waited for the client-side limiter and the seconds waited; refused: "
      "calls the limiter did not send)")
print(f"{'phase':30} {'run':9}" + "".join(f"{h:>11}" for _, h in cols))
def cell(v):
    if isinstance(v, float):
        return str(v).lower() if v != v or v in (float("inf"), float("-inf")) else round(v)
    return v
for phase in first["phases"]:
    for label in labels:
        row = runs[label]["phases"].get(phase, {})
        cells = "".join(f"{cell(row.get(k, '-')):>11}" for k, _ in cols)
        print(f"{phase:30} {label:9}{cells}")
PY

# The two commands a fresh machine needs (see README.md):
#   make demo   - set up and run the embedded default (a real single-node cluster, images, helm install, examples
#                 built in Jobs and deployed to the Cloudflare stand-in); falls back to demo-lite where no node can run
#   make test   - run every test tier of every part
#   make test-unit - only the unit tiers (no cluster, API server, stand-in or runtime build; hack/test-unit.sh)
# Each part owns a self-contained script that installs what it needs into well-known caches.
SHELL := /bin/bash

.PHONY: demo demo-lite cluster-up cluster-down test test-unit test-cluster test-java test-python test-runtime test-worker test-cfstandin crds bench-builds bench-deploy bench-sources bench-fleet

demo:
	hack/demo.sh

# The same on a bare API server with local builder processes, for machines where a node cannot run.
demo-lite:
	hack/demo-lite.sh

# The single-node cluster alone (source .cluster/cluster.env to use it).
cluster-up:
	hack/cluster/up.sh

cluster-down:
	hack/cluster/down.sh

test: test-python test-runtime test-worker test-cfstandin test-java test-cluster

test-java:
	hack/test-java.sh

# Only the unit tiers of builder-image, cfstandin and the operator (`make test` runs them too).
test-unit:
	hack/test-unit.sh

# The tiers below run with their own $TMPDIR, removed at the end (hack/with-tmpdir.sh).
test-python:
	hack/with-tmpdir.sh pylib/test.sh

# The runtime's extension tests link side modules with the worker's node host, so its packages come first.
test-runtime:
	[[ -d worker/node_modules/esbuild ]] || (cd worker && npm ci --no-audit --no-fund)
	hack/with-tmpdir.sh builder-image/test.sh

test-worker:
	hack/with-tmpdir.sh worker/test.sh

test-cfstandin:
	hack/with-tmpdir.sh cfstandin/test.sh

# The cluster tier: helm install/upgrade/uninstall, builder Jobs as pods, leader failover, on the real node.
test-cluster:
	hack/test-cluster.sh

# Refresh crds/ from the Java model and the chart's copy of it (CrdDriftTest and ChartCrdsDriftTest fail until both match).
crds:
	mvn -B -q -pl operator -am process-classes
	cp operator/target/crds/*.yml crds/
	charts/sync-crds.sh

# Benchmarks (print figures side by side; not part of `make test`).
bench-builds:
	KUBE_API_TEST_DIR="$$(hack/prepare-java.sh | tail -n 1)" \
	  mvn -B -pl operator -am test -Dgroups=benchmark -Dsurefire.excluded.groups= -Dtest=BuildBenchmark -Dsurefire.failIfNoSpecifiedTests=false

# apply -> Ready on the stand-in (fresh build, cache hit, update, no-op) and the Cloudflare calls of each.
bench-deploy:
	KUBE_API_TEST_DIR="$$(hack/prepare-java.sh | tail -n 1)" \
	  mvn -B -pl operator -am verify -Dgroups=benchmark -Dsurefire.excluded.groups= -Dtest=DeployBenchmark -Dsurefire.failIfNoSpecifiedTests=false

# 1,000-worker-class fleets against the real API server and the stand-in, baseline vs this checkout (issue #18).
bench-fleet:
	hack/bench-fleet.sh

# git sources on a loopback git server: CLI clone vs first resolve vs cached re-checks vs 100 workers.
bench-sources:
	mvn -B -pl operator -am test -Dgroups=benchmark -Dsurefire.excluded.groups= -Dtest=SourceBenchmark -Dsurefire.failIfNoSpecifiedTests=false

# The two commands a fresh machine needs (see README.md):
#   make demo   - set up and run the embedded default (API server, registry, Cloudflare stand-in, operator, examples)
#   make test   - run every test tier of every part
# Each part owns a self-contained script that installs what it needs into well-known caches.
SHELL := /bin/bash

.PHONY: demo test test-java test-python test-runtime test-worker test-cfstandin crds bench-builds bench-deploy bench-sources

demo:
	hack/demo.sh

test: test-python test-runtime test-worker test-cfstandin test-java

test-java:
	hack/test-java.sh

test-python:
	pylib/test.sh

# The runtime's extension tests link side modules with the worker's node host, so its packages come first.
test-runtime:
	[[ -d worker/node_modules/esbuild ]] || (cd worker && npm ci --no-audit --no-fund)
	builder-image/test.sh

test-worker:
	worker/test.sh

test-cfstandin:
	cfstandin/test.sh

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

# git sources on a loopback git server: CLI clone vs first resolve vs cached re-checks vs 100 workers.
bench-sources:
	mvn -B -pl operator -am test -Dgroups=benchmark -Dsurefire.excluded.groups= -Dtest=SourceBenchmark -Dsurefire.failIfNoSpecifiedTests=false

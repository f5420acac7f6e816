package dev.pymode.operator.config;

import java.time.Duration;
import java.util.Optional;

import io.smallrye.config.ConfigMapping;
import io.smallrye.config.WithDefault;

/** Operator settings (application.properties, or PYMODE_* environment variables). */
@ConfigMapping(prefix = "pymode")
public interface PyModeConfig {

    /** Repository checkout the local builder runs from (local build mode and the embedded default). */
    @WithDefault(".")
    String repoRoot();

    LeaderElection leaderElection();

    Registry registry();

    Runtime runtime();

    Builder builder();

    Cloudflare cloudflare();

    Source source();

    /** How git and OCI sources are fetched and cached. */
    interface Source {
        /**
         * Where fetched git repositories are kept (one bare, shallow repository per URL), so workers sharing a
         * repository share one fetch and a reconcile of an unchanged commit fetches nothing.
         */
        @WithDefault("${java.io.tmpdir}/pymode-sources")
        String workDir();

        /** Bound of the on-disk git cache (a Kubernetes quantity); least recently used repositories go first. */
        @WithDefault("1Gi")
        String cacheSize();

        /**
         * How long a remote's answer (a git ref's commit, an OCI tag's digest) is reused between reconciles of
         * workers using it; never longer than a worker's own interval.
         */
        @WithDefault("PT15S")
        Duration remoteCacheTtl();

        /** Timeout of one network operation against a git server or registry. */
        @WithDefault("PT60S")
        Duration timeout();
    }

    /** Defaults for the Cloudflare side, used where a worker's spec.cloudflare leaves them out. */
    interface Cloudflare {
        /** API base URL; the local stand-in (cfstandin/) for the embedded default and tests. */
        @WithDefault("https://api.cloudflare.com/client/v4")
        String apiUrl();

        /** Default account ID. */
        Optional<String> accountId();

        /** Default API token (the Helm chart fills it from the credential Secret). */
        Optional<String> apiToken();

        /** URL a workers.dev deployment answers on; {script} and {subdomain} are filled in. */
        @WithDefault("https://{script}.{subdomain}.workers.dev")
        String workersDevUrl();

        /**
         * host:port to connect to for workers.dev URLs instead of resolving them (the local stand-in serves
         * them by Host header); unset in a real deployment.
         */
        Optional<String> edgeAddress();

        /** How many bundles (a few tens of MB each) to keep in memory between deploys. */
        @WithDefault("4")
        int bundleCacheSize();

        /**
         * How long an account-wide listing (scripts, KV namespaces, R2 buckets, D1 databases) answers for every
         * worker of the account before it is read again: the delay before a change made outside the operator is
         * seen, and, per account, one read of each listing per interval.
         */
        @WithDefault("PT2M")
        Duration listingInterval();

        /**
         * How often each deployed worker's settings, workers.dev subdomain, routes and cron triggers are read back
         * although the listing shows no change (Cloudflare does not move a script's modified_on for all of
         * them). Spread over the last quarter of the interval per script.
         */
        @WithDefault("PT2H")
        Duration verifyInterval();

        /** Requests per five minutes the operator allows itself per account (Cloudflare allows 1,200). */
        @WithDefault("1000")
        int requestsPerFiveMinutes();

        /** Requests that may leave at once after a quiet spell; with the rate, at most their sum per window. */
        @WithDefault("200")
        int requestBurst();
    }

    /** Leader election, for more than one replica: only the Lease holder reconciles. */
    interface LeaderElection {
        @WithDefault("false")
        boolean enabled();

        @WithDefault("pymode-operator")
        String leaseName();

        /** Lease namespace; detected in a pod, required outside a cluster. */
        Optional<String> namespace();
    }

    /** Where artifacts are stored. */
    interface Registry {
        /** host[:port] of the OCI registry; builds cannot run without one. */
        Optional<String> host();

        /** Repository for worker bundles (one repository, tagged by build key, so equal inputs share a bundle). */
        @WithDefault("pymode/bundles")
        String bundleRepository();

        /** Repository for C-extension side-module artifacts (tagged by build key, shared by every worker). */
        @WithDefault("pymode/extensions")
        String extensionRepository();

        /** Use http:// (registries on loopback). */
        @WithDefault("false")
        boolean plainHttp();

        /** Basic-auth user for lookups (the builder reads the same Secret as a docker config). */
        Optional<String> username();

        Optional<String> password();

        /** Secret (type kubernetes.io/dockerconfigjson) mounted into builder Jobs for pushing. */
        Optional<String> pushSecret();
    }

    /** The python.wasm runtime every bundle is built on. */
    interface Runtime {
        /** repo@sha256:... of the runtime artifact (builder-image/bundler/pymode_build.py runtime). */
        Optional<String> ref();
    }

    /** How builds run. */
    interface Builder {
        /** job: a Kubernetes Job per build; local: the same command as a process of the operator. */
        @WithDefault("job")
        Mode mode();

        /** Builder image for Jobs (pin by digest). */
        @WithDefault("ghcr.io/pymode/builder:0.1.0")
        String image();

        /** Identity of the toolchain that goes into the build key; defaults to the image (job) or the repo's tools (local). */
        Optional<String> toolchain();

        /** Local mode: the builder program. */
        @WithDefault("builder-image/bundler/pymode_build.py")
        String localProgram();

        /** Local mode: the oras CLI the builder pushes with (default: oras on PATH). */
        Optional<String> oras();

        /** Local mode: where builds keep their source, logs and exit codes (survives operator restarts). */
        @WithDefault("${java.io.tmpdir}/pymode-builds")
        String localWorkDir();

        @WithDefault("PT30M")
        Duration activeDeadline();

        @WithDefault("PT1H")
        Duration ttlAfterFinished();

        /** Pod retries inside one Job (node failures); build failures are retried by the operator with backoff. */
        @WithDefault("0")
        int backoffLimit();

        /** Operator-level attempts per build key before the worker stalls. */
        @WithDefault("4")
        int maxAttempts();

        /** First retry delay; doubles per failed attempt. */
        @WithDefault("PT30S")
        Duration retryBaseDelay();

        @WithDefault("500m")
        String cpuRequest();

        @WithDefault("2")
        String cpuLimit();

        @WithDefault("1Gi")
        String memoryRequest();

        @WithDefault("4Gi")
        String memoryLimit();

        @WithDefault("4Gi")
        String workspaceSize();

        /**
         * A PEM bundle of the CAs builder pods trust for their downloads (pip, npm), for egress through a
         * TLS-inspecting proxy: the operator hands it to every build (chart value builder.caBundle). It replaces the
         * image's store for those tools, so it holds the public roots too.
         */
        Optional<String> caBundleFile();

        /**
         * The package index (PEP 503 simple API) builds resolve spec.packages from (chart value
         * builder.packageIndex.url); unset: pip's default. An operator setting: a worker's spec cannot name an index.
         */
        Optional<String> packageIndexUrl();

        /**
         * A Secret with keys {@code username} and {@code password} for that index, which builder Jobs read as
         * environment variables. Jobs run in the worker's namespace, so it must exist in each namespace with
         * workers (like registry.pushSecret); the operator never reads it.
         */
        Optional<String> packageIndexCredentialsSecret();
    }

    enum Mode { job, local }
}

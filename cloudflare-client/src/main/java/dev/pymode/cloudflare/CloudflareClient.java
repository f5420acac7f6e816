package dev.pymode.cloudflare;

import java.time.Clock;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Base64;
import java.util.Comparator;
import java.util.List;
import java.util.Objects;
import java.util.Optional;
import java.util.concurrent.ThreadLocalRandom;
import java.util.concurrent.TimeUnit;
import java.util.function.DoubleSupplier;
import java.util.function.Supplier;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.JsonNodeFactory;
import com.fasterxml.jackson.databind.node.ObjectNode;

import okhttp3.ConnectionPool;
import okhttp3.HttpUrl;
import okhttp3.OkHttpClient;

/**
 * The Cloudflare REST calls the operator makes to deploy a worker: token checks, KV/R2/D1 resources, script
 * uploads (both of wrangler's forms), settings, secrets, workers.dev, routes, versions and deployments.
 *
 * <p>One instance per API token; thread-safe. Paths, bodies and the request order follow wrangler 4.86
 * ({@code shared/reference/npm-workerd.md} §6). Failures raise {@link CloudflareApiException} (with the
 * Cloudflare error codes) or {@link RateLimitedException}; see {@code README.md} for retries and limits.
 */
public final class CloudflareClient implements AutoCloseable {

    public static final String DEFAULT_BASE_URL = "https://api.cloudflare.com/client/v4";

    /** Rate-limit bucket of calls made for the token's user rather than an account. */
    static final String USER_SCOPE = "user";

    private static final JsonNodeFactory JSON = JsonNodeFactory.instance;

    private final ApiTransport transport;
    private final RateLimiter rateLimiter;
    private final OkHttpClient ownedHttp;

    private CloudflareClient(Builder b) {
        Objects.requireNonNull(b.apiToken, "apiToken");
        this.rateLimiter = b.rateLimiter != null ? b.rateLimiter : RateLimiter.cloudflareDefaults(b.clock);
        OkHttpClient http = b.httpClient != null ? b.httpClient : new OkHttpClient.Builder()
                .connectTimeout(b.connectTimeout)
                .readTimeout(b.readTimeout)
                .writeTimeout(b.writeTimeout)
                .callTimeout(b.callTimeout)
                // our RetryPolicy decides about re-sending; OkHttp would silently repeat a POST
                .retryOnConnectionFailure(false)
                // Idle connections are dropped before servers usually close theirs (node: 5 s), so a call after a
                // quiet spell does not meet a dead pooled connection: that cost a failed attempt and a retry, and a
                // POST on one is not retried at all.
                .connectionPool(new ConnectionPool(5, 4, TimeUnit.SECONDS))
                .build();
        this.ownedHttp = b.httpClient == null ? http : null;
        this.transport = new ApiTransport(http, HttpUrl.get(b.baseUrl), b.apiToken, new ObjectMapper(),
                rateLimiter, b.retryPolicy, b.sleeper, b.jitter, b.maxPermitWait, b.observer, null);
    }

    private CloudflareClient(ApiTransport transport, RateLimiter rateLimiter) {
        this.transport = transport;
        this.rateLimiter = rateLimiter;
        this.ownedHttp = null;
    }

    /**
     * This client acting for a tenant (the operator passes a namespace): the same connections, limiter and
     * policies, with the limiter's fair share applied to the tenant when permits run short
     * ({@link RateLimiter#tryAcquire(String, String, String)}). Closing it closes nothing.
     */
    public CloudflareClient forTenant(String tenant) {
        return new CloudflareClient(transport.forTenant(Objects.requireNonNull(tenant, "tenant")), rateLimiter);
    }

    /**
     * This client with {@code permits} for {@code account} taken at once (all or none, the tenant's fair share
     * applied), for a sequence of calls that should not be refused half-way: its calls spend them first. Throws
     * {@link RateLimitedException} when they are not available within the permit wait, before any call is made.
     * Closing it gives back the permits not spent.
     *
     * @param what names the sequence in limiter refusals and as the {@code operation} label of the limiter's metrics:
     *             a kind of sequence (e.g. {@code deploy}), never a resource's name, so the series stay bounded
     */
    public CloudflareClient reserving(String what, String account, int permits) {
        return new CloudflareClient(transport.reserve(what, account, permits), rateLimiter);
    }

    /**
     * Whether this client (this view: {@link #reserving} and {@link #forTenant} each make a new one) has sent a call
     * other than GET, answered or not: one that may have changed the account, so what an account listing read
     * before it shows may be out of date.
     */
    public boolean sentWrites() {
        return transport.sentWrite();
    }

    public static Builder builder(String apiToken) {
        return new Builder(apiToken);
    }

    public RateLimiter rateLimiter() {
        return rateLimiter;
    }

    // ---------------------------------------------------------------- token

    /** {@code GET /user/tokens/verify}: is the (user-owned) token valid and active. */
    public TokenStatus verifyToken() {
        return tokenStatus(transport.execute(ApiCall.get("/user/tokens/verify").forAccount(USER_SCOPE)));
    }

    /** {@code GET /accounts/A/tokens/verify}: the same for an account-owned token. */
    public TokenStatus verifyAccountToken(String account) {
        return tokenStatus(transport.execute(ApiCall.get("/accounts/{account}/tokens/verify", account)));
    }

    private static TokenStatus tokenStatus(ApiResponse response) {
        JsonNode r = response.result();
        return new TokenStatus(text(r, "id"), text(r, "status"), text(r, "expires_on"));
    }

    // ---------------------------------------------------------------- KV

    public List<KvNamespace> listKvNamespaces(String account) {
        ApiCall list = ApiCall.get("/accounts/{account}/storage/kv/namespaces", account)
                .query("order", "title").query("direction", "asc");
        return Pagination.collect(transport, list, Pagination.Style.PAGES, 100, ApiResponse::result).stream()
                .map(CloudflareClient::kvNamespace).toList();
    }

    public KvNamespace createKvNamespace(String account, String title) {
        ApiCall create = ApiCall.post("/accounts/{account}/storage/kv/namespaces", account)
                .body(transport.json(JSON.objectNode().put("title", title)));
        return kvNamespace(transport.execute(create).result());
    }

    public void deleteKvNamespace(String account, String namespaceId) {
        transport.execute(ApiCall.delete("/accounts/{account}/storage/kv/namespaces/{namespace}", account,
                namespaceId));
    }

    public KvNamespace findOrCreateKvNamespace(String account, String title) {
        return findOrCreate("KV namespace " + title,
                () -> listKvNamespaces(account).stream().filter(ns -> ns.title().equals(title)).findFirst(),
                () -> createKvNamespace(account, title));
    }

    private static KvNamespace kvNamespace(JsonNode json) {
        return new KvNamespace(text(json, "id"), text(json, "title"));
    }

    // ---------------------------------------------------------------- R2

    /** Every bucket of the account (cursor-paginated list call). */
    public List<R2Bucket> listR2Buckets(String account) {
        return r2Buckets(ApiCall.get("/accounts/{account}/r2/buckets", account));
    }

    /**
     * Looks a bucket up through the list call filtered by {@code name_contains} (wrangler reads
     * {@code GET r2/buckets/{name}}, which the trimmed OpenAPI file, and so the local stand-in, lacks).
     */
    public Optional<R2Bucket> findR2Bucket(String account, String name) {
        return r2Buckets(ApiCall.get("/accounts/{account}/r2/buckets", account).query("name_contains", name)).stream()
                .filter(b -> name.equals(b.name()))
                .findFirst();
    }

    private List<R2Bucket> r2Buckets(ApiCall list) {
        // The 2024 schema says `result` is the array; the live API (and wrangler) nest it as result.buckets.
        return Pagination.collect(transport, list, Pagination.Style.CURSOR, 100, r -> r.result().has("buckets")
                        ? r.result().get("buckets") : r.result()).stream()
                .map(b -> new R2Bucket(text(b, "name"), text(b, "location"), text(b, "creation_date")))
                .toList();
    }

    /** @param locationHint {@code apac}, {@code eeur}, {@code enam}, {@code weur}, {@code wnam}, or null */
    public R2Bucket createR2Bucket(String account, String name, String locationHint) {
        ObjectNode body = JSON.objectNode().put("name", name);
        if (locationHint != null) {
            body.put("locationHint", locationHint);
        }
        JsonNode r = transport.execute(ApiCall.post("/accounts/{account}/r2/buckets", account)
                .body(transport.json(body))).result();
        return new R2Bucket(name, text(r, "location"), text(r, "creation_date"));
    }

    public void deleteR2Bucket(String account, String name) {
        transport.execute(ApiCall.delete("/accounts/{account}/r2/buckets/{bucket}", account, name));
    }

    public R2Bucket findOrCreateR2Bucket(String account, String name) {
        return findOrCreate("R2 bucket " + name, () -> findR2Bucket(account, name),
                () -> createR2Bucket(account, name, null));
    }

    // ---------------------------------------------------------------- D1

    /** @param name filter sent to the API (which may match more loosely); null lists every database */
    public List<D1Database> listD1Databases(String account, String name) {
        ApiCall list = ApiCall.get("/accounts/{account}/d1/database", account).query("name", name);
        return Pagination.collect(transport, list, Pagination.Style.PAGES, 100, ApiResponse::result).stream()
                .map(CloudflareClient::d1Database).toList();
    }

    public D1Database createD1Database(String account, String name) {
        ApiCall create = ApiCall.post("/accounts/{account}/d1/database", account)
                .body(transport.json(JSON.objectNode().put("name", name)));
        return d1Database(transport.execute(create).result());
    }

    public void deleteD1Database(String account, String databaseId) {
        transport.execute(ApiCall.delete("/accounts/{account}/d1/database/{database}", account, databaseId));
    }

    public D1Database findOrCreateD1Database(String account, String name) {
        return findOrCreate("D1 database " + name,
                () -> listD1Databases(account, name).stream().filter(db -> db.name().equals(name)).findFirst(),
                () -> createD1Database(account, name));
    }

    private static D1Database d1Database(JsonNode json) {
        return new D1Database(text(json, "uuid"), text(json, "name"), text(json, "version"));
    }

    // ---------------------------------------------------------------- Queues

    /** Every queue of the account with its consumers ({@code GET queues}, page-numbered). */
    public List<Queue> listQueues(String account) {
        ApiCall list = ApiCall.get("/accounts/{account}/queues", account);
        return Pagination.collect(transport, list, Pagination.Style.PAGES, 100, ApiResponse::result).stream()
                .map(CloudflareClient::queue).toList();
    }

    public Queue createQueue(String account, String name) {
        ApiCall create = ApiCall.post("/accounts/{account}/queues", account)
                .body(transport.json(JSON.objectNode().put("queue_name", name)));
        return queue(transport.execute(create).result());
    }

    public void deleteQueue(String account, String queueId) {
        transport.execute(ApiCall.delete("/accounts/{account}/queues/{queue}", account, queueId));
    }

    /** Queue names are unique per account, so a create that landed unseen cannot make a second one. */
    public Queue findOrCreateQueue(String account, String name) {
        return findOrCreate("queue " + name,
                () -> listQueues(account).stream().filter(q -> q.name().equals(name)).findFirst(),
                () -> createQueue(account, name));
    }

    public QueueConsumer createQueueConsumer(String account, String queueId, QueueConsumer consumer) {
        ApiCall create = ApiCall.post("/accounts/{account}/queues/{queue}/consumers", account, queueId)
                .body(transport.json(consumer.toRequest()));
        return QueueConsumer.fromJson(transport.execute(create).result());
    }

    public QueueConsumer updateQueueConsumer(String account, String queueId, String consumerId, QueueConsumer consumer) {
        ApiCall update = ApiCall.put("/accounts/{account}/queues/{queue}/consumers/{consumer}", account, queueId,
                consumerId).body(transport.json(consumer.toRequest()));
        return QueueConsumer.fromJson(transport.execute(update).result());
    }

    public void deleteQueueConsumer(String account, String queueId, String consumerId) {
        transport.execute(ApiCall.delete("/accounts/{account}/queues/{queue}/consumers/{consumer}", account, queueId,
                consumerId));
    }

    private static Queue queue(JsonNode json) {
        List<QueueConsumer> consumers = new java.util.ArrayList<>();
        json.path("consumers").forEach(c -> consumers.add(QueueConsumer.fromJson(c)));
        return new Queue(text(json, "queue_id"), text(json, "queue_name"), consumers);
    }

    /**
     * Creates are never re-sent blindly: a create whose answer was lost (I/O error, 5xx) or that lost a race
     * (conflict) may have happened, so look again first, and create again only when it is still absent.
     * KV titles, R2 bucket names and D1 names are unique per account, so even a create that landed unseen
     * cannot yield a duplicate: its repeat fails with a conflict, and the next look finds it.
     */
    private <T> T findOrCreate(String what, Supplier<Optional<T>> find, Supplier<T> create) {
        Optional<T> found = find.get();
        if (found.isPresent()) {
            return found.get();
        }
        for (int attempt = 1; ; attempt++) {
            try {
                return create.get();
            } catch (RateLimitedException e) {
                throw e;
            } catch (CloudflareException e) {
                Optional<T> landed = find.get();
                if (landed.isPresent()) {
                    return landed.get();
                }
                boolean transientFailure = !(e instanceof CloudflareApiException api) || api.status() >= 500;
                if (!transientFailure || attempt >= transport.retryPolicy().maxAttempts()) {
                    throw e;
                }
                transport.backoff(e.call(), attempt, "create of " + what + " failed and it is absent", e);
            }
        }
    }

    // ---------------------------------------------------------------- scripts

    /** {@code GET workers/scripts}: every script of the account (not paginated by the API). */
    public List<WorkerScript> listScripts(String account) {
        List<WorkerScript> scripts = new ArrayList<>();
        transport.execute(ApiCall.get("/accounts/{account}/workers/scripts", account)).result()
                .forEach(s -> scripts.add(workerScript(s)));
        return scripts;
    }

    public Optional<WorkerScript> findScript(String account, String script) {
        return listScripts(account).stream().filter(s -> script.equals(s.id())).findFirst();
    }

    /** Uploads and deploys in one PUT, applying the migrations the remote script lacks (looked up first). */
    public WorkerScript uploadScript(String account, String script, WorkerUpload upload) {
        String remoteTag = findScript(account, script).map(WorkerScript::migrationTag).orElse(null);
        return uploadScript(account, script, upload, remoteTag);
    }

    /**
     * {@code PUT workers/scripts/{script}?bindings_inherit=strict}, wrangler's form for first deploys and for
     * deploys with migrations.
     *
     * @param remoteMigrationTag the script's current {@code migration_tag} (null when new or none)
     */
    public WorkerScript uploadScript(String account, String script, WorkerUpload upload, String remoteMigrationTag) {
        return uploadScript(account, script, upload, remoteMigrationTag, null);
    }

    /** The same, also setting the script-level {@code tags} (null: leave them as they are). */
    public WorkerScript uploadScript(String account, String script, WorkerUpload upload, String remoteMigrationTag,
                                     List<String> scriptTags) {
        return workerScript(putScript(account, script, upload, remoteMigrationTag, scriptTags));
    }

    private JsonNode putScript(String account, String script, WorkerUpload upload, String remoteMigrationTag,
                               List<String> scriptTags) {
        AssetsToken assets = completionToken(account, script, upload);
        ApiCall put = ApiCall.put("/accounts/{account}/workers/scripts/{script}", account, script)
                .query("bindings_inherit", "strict")
                .body(upload.form(Migrations.toUpload(upload.migrations(), remoteMigrationTag), scriptTags, assets)
                        .toRequestBody());
        return transport.execute(put).result();
    }

    /**
     * {@code POST workers/scripts/{script}/versions}: uploads a version without deploying it. Version
     * metadata cannot carry migrations, so use this only when the remote script is up to date with them.
     * An upload with static assets uploads them first ({@link #uploadAssets}).
     */
    public WorkerVersion uploadVersion(String account, String script, WorkerUpload upload) {
        AssetsToken assets = completionToken(account, script, upload);
        ApiCall post = ApiCall.post("/accounts/{account}/workers/scripts/{script}/versions", account, script)
                .query("bindings_inherit", "strict")
                .body(upload.form(Optional.empty(), null, assets).toRequestBody());
        return workerVersion(transport.execute(post).result());
    }

    /** The completion token of the upload's static assets, uploaded now; null when it has none. */
    private AssetsToken completionToken(String account, String script, WorkerUpload upload) {
        return upload.assets().map(assets -> uploadAssets(account, script, assets).completion()).orElse(null);
    }

    // ---------------------------------------------------------------- static assets

    /**
     * Uploads static assets the way wrangler does (developers.cloudflare.com/workers/static-assets/direct-upload):
     * {@code POST workers/scripts/{script}/assets-upload-session} with the manifest, whose answer lists in buckets
     * only the hashes the account does not hold yet; then one {@code POST workers/assets/upload?base64=true} per
     * bucket, authorised by the session's token, each part named by its hash and holding the base64 content. The
     * last upload answers with the completion token; with no bucket at all, the session's token is it. Every call
     * counts against the account's budget; both are safe to repeat (content-addressed), so they are retried.
     *
     * <p>A session's upload token is spent when its session completes, and an upload with a spent token is refused
     * with 401: the repeat of an upload whose first attempt completed the session but whose answer was lost (a
     * timeout). The account holds every file then, so the upload starts over once with a new session, which
     * completes at once; a second refusal is thrown.
     */
    public AssetsUpload uploadAssets(String account, String script, StaticAssets assets) {
        try {
            return uploadAssetsInSession(account, script, assets);
        } catch (CloudflareApiException e) {
            if (e.status() != 401 || !AssetsUpload.isBucketUpload(e.call())) {
                throw e;
            }
            return uploadAssetsInSession(account, script, assets);
        }
    }

    private AssetsUpload uploadAssetsInSession(String account, String script, StaticAssets assets) {
        ApiCall session = ApiCall.post("/accounts/{account}/workers/scripts/{script}/assets-upload-session",
                        account, script)
                .body(transport.json(JSON.objectNode().set("manifest", assets.manifest())))
                .retrySafe();
        JsonNode answer = transport.execute(session).result();
        String sessionJwt = text(answer, "jwt");
        if (sessionJwt == null || sessionJwt.isEmpty()) {
            throw new CloudflareException(session.name(), "the answer carries no upload token", null);
        }
        AssetsToken uploadToken = new AssetsToken(sessionJwt);
        List<List<StaticAssets.Asset>> buckets = new ArrayList<>();
        for (JsonNode bucket : answer.path("buckets")) {
            List<StaticAssets.Asset> files = new ArrayList<>();
            for (JsonNode hash : bucket) {
                StaticAssets.Asset asset = assets.byHash(hash.asText());
                if (asset == null) {
                    throw new CloudflareException(session.name(),
                            "asks for hash " + hash.asText() + ", which no asset of the manifest has", null);
                }
                files.add(asset);
            }
            if (!files.isEmpty()) {
                buckets.add(files);
            }
        }
        if (buckets.isEmpty()) {
            return new AssetsUpload(uploadToken, assets.files().size(), 0, 0);
        }
        String completion = null;
        int uploaded = 0;
        for (List<StaticAssets.Asset> bucket : buckets) {
            MultipartForm form = new MultipartForm();
            for (StaticAssets.Asset asset : bucket) {
                form.file(asset.hash(), asset.hash(), StaticAssets.contentType(asset.path()),
                        Base64.getEncoder().encode(asset.content()));
            }
            ApiCall upload = ApiCall.post("/accounts/{account}/workers/assets/upload", account)
                    .query("base64", "true")
                    .authorizedBy(uploadToken)
                    .body(form.toRequestBody())
                    .retrySafe();
            String jwt = text(transport.execute(upload).result(), "jwt");
            if (jwt != null && !jwt.isEmpty()) {
                completion = jwt;
            }
            uploaded += bucket.size();
        }
        if (completion == null) {
            throw new CloudflareException(AssetsUpload.UPLOAD_CALL,
                    "all " + buckets.size() + " bucket(s) uploaded but no answer carried the completion token", null);
        }
        return new AssetsUpload(new AssetsToken(completion), assets.files().size(), uploaded, buckets.size());
    }

    /**
     * Deploys in as few calls as the rollout allows: the versions path (upload a version, then a deployment
     * giving it {@code percentage} of traffic and the rest to the current stable version) for a gradual rollout
     * of an existing script without pending migrations; otherwise one PUT, which deploys at 100% (a new script,
     * pending migrations, which cannot roll out gradually, or simply 100%). Wrangler takes the versions path for
     * every existing script; at 100% that costs a version upload, a deployment and a settings call for the tags
     * where the PUT is one call carrying all three.
     */
    public DeployResult deploy(String account, String script, WorkerUpload upload, double percentage,
            String message) {
        return deploy(account, script, upload, percentage, message, findScript(account, script), null);
    }

    /**
     * The same for a caller that already knows the script: its existence and migration tag pick the path, so no
     * listing is read here.
     *
     * @param remote     the script as a listing read after the caller's last write shows it (empty: not there)
     * @param scriptTags the script-level tags the PUT path sets in its upload (null: leave them); a version's
     *                   metadata cannot carry them, so after the {@link DeployResult.Path#VERSIONS} path the
     *                   caller sets them with {@link #setScriptTags} when it needs them changed
     */
    public DeployResult deploy(String account, String script, WorkerUpload upload, double percentage,
            String message, Optional<WorkerScript> remote, List<String> scriptTags) {
        String remoteTag = remote.map(WorkerScript::migrationTag).orElse(null);
        boolean gradual = percentage < 100;
        if (remote.isEmpty() || !gradual || Migrations.toUpload(upload.migrations(), remoteTag).isPresent()) {
            JsonNode answer = putScript(account, script, upload, remoteTag, scriptTags);
            return new DeployResult(DeployResult.Path.SCRIPT_PUT, workerScript(answer), null, null,
                    hyphenated(text(answer, "deployment_id")));
        }
        WorkerVersion version = uploadVersion(account, script, upload);
        Deployment deployment = rollout(account, script, version.id(), percentage, message);
        return new DeployResult(DeployResult.Path.VERSIONS, null, version, deployment, version.id());
    }

    /**
     * The upload answer's {@code deployment_id} names the version the PUT deployed (wrangler 4.86.0 prints it as
     * "Current Version ID" after adding hyphens, its parseNonHyphenedUuid); the OpenAPI file does not list the field.
     */
    static String hyphenated(String id) {
        if (id == null || id.contains("-")) {
            return id;
        }
        if (!id.matches("[0-9a-fA-F]{32}")) {
            return null;
        }
        return id.substring(0, 8) + "-" + id.substring(8, 12) + "-" + id.substring(12, 16) + "-"
                + id.substring(16, 20) + "-" + id.substring(20);
    }

    /**
     * Gives {@code newVersionId} {@code percentage} of the traffic and the rest to the version that carries
     * the most traffic in the current deployment (e.g. 25% new, 75% previous). At 100%, or with nothing
     * deployed yet, the new version takes all traffic.
     */
    public Deployment rollout(String account, String script, String newVersionId, double percentage,
            String message) {
        if (!(percentage > 0 && percentage <= 100)) {
            throw new IllegalArgumentException("percentage must be in (0, 100]: " + percentage);
        }
        List<Deployment.Share> shares = new ArrayList<>();
        shares.add(new Deployment.Share(newVersionId, percentage));
        if (percentage < 100) {
            listDeployments(account, script).stream().findFirst()
                    .flatMap(current -> current.versions().stream()
                            .filter(s -> !s.versionId().equals(newVersionId))
                            .max(Comparator.comparingDouble(Deployment.Share::percentage)))
                    .ifPresentOrElse(previous -> shares.add(new Deployment.Share(previous.versionId(),
                                    100 - percentage)),
                            () -> shares.set(0, new Deployment.Share(newVersionId, 100)));
        }
        return createDeployment(account, script, shares, message);
    }

    /** {@code POST workers/scripts/{script}/deployments} with {@code strategy: percentage}. */
    public Deployment createDeployment(String account, String script, List<Deployment.Share> versions,
            String message) {
        ObjectNode body = JSON.objectNode().put("strategy", "percentage");
        ArrayNode shares = body.putArray("versions");
        for (Deployment.Share share : versions) {
            ObjectNode item = shares.addObject().put("version_id", share.versionId());
            double p = share.percentage();
            // whole percentages go out as integers, like wrangler's
            if (p == Math.rint(p)) {
                item.put("percentage", (long) p);
            } else {
                item.put("percentage", p);
            }
        }
        if (message != null) {
            body.putObject("annotations").put("workers/message", message);
        }
        // Re-sending creates an identical deployment: same traffic split, so safe to retry.
        ApiCall post = ApiCall.post("/accounts/{account}/workers/scripts/{script}/deployments", account, script)
                .body(transport.json(body)).retrySafe();
        return deployment(transport.execute(post).result());
    }

    /** Newest first: the first is the one serving traffic. */
    public List<Deployment> listDeployments(String account, String script) {
        List<Deployment> deployments = new ArrayList<>();
        transport.execute(ApiCall.get("/accounts/{account}/workers/scripts/{script}/deployments", account, script))
                .result().path("deployments").forEach(d -> deployments.add(deployment(d)));
        return deployments;
    }

    /** Newest first. */
    public List<WorkerVersion> listVersions(String account, String script) {
        ApiCall list = ApiCall.get("/accounts/{account}/workers/scripts/{script}/versions", account, script);
        return Pagination.collect(transport, list, Pagination.Style.PAGES, 100, r -> r.result().path("items")).stream()
                .map(CloudflareClient::workerVersion).toList();
    }

    /** {@code DELETE workers/scripts/{script}?force=true}: also when Durable Objects or services bind it. */
    public void deleteScript(String account, String script) {
        transport.execute(ApiCall.delete("/accounts/{account}/workers/scripts/{script}", account, script)
                .query("force", "true"));
    }

    // ---------------------------------------------------------------- settings

    /** The script's current bindings and compatibility settings, for drift checks. */
    public ScriptSettings getSettings(String account, String script) {
        return settings(transport.execute(
                ApiCall.get("/accounts/{account}/workers/scripts/{script}/settings", account, script)).result());
    }

    /** {@code PATCH …/settings}: multipart with one {@code settings} field, as {@code wrangler secret bulk}. */
    public ScriptSettings patchSettings(String account, String script, SettingsPatch patch) {
        // The patch sets absolute values, so sending it twice leaves the same state.
        ApiCall call = ApiCall.patch("/accounts/{account}/workers/scripts/{script}/settings", account, script)
                .body(new MultipartForm().field("settings", patch.toJson().toString()).toRequestBody())
                .retrySafe();
        return settings(transport.execute(call).result());
    }

    /**
     * {@code PATCH …/script-settings} with {@code tags}: replaces the script-level tags (no new version). The
     * operator keeps the digest of what it deployed there, so a worker whose status was lost is adopted.
     */
    public List<String> setScriptTags(String account, String script, List<String> tags) {
        ObjectNode body = JSON.objectNode();
        tags.forEach(body.putArray("tags")::add);
        ApiCall call = ApiCall.patch("/accounts/{account}/workers/scripts/{script}/script-settings", account, script)
                .body(transport.json(body)).retrySafe();
        List<String> result = new ArrayList<>();
        transport.execute(call).result().path("tags").forEach(t -> result.add(t.asText()));
        return result;
    }

    private static ScriptSettings settings(JsonNode r) {
        List<Binding> bindings = new ArrayList<>();
        r.path("bindings").forEach(b -> bindings.add(Binding.fromJson(b)));
        List<String> flags = new ArrayList<>();
        r.path("compatibility_flags").forEach(f -> flags.add(f.asText()));
        return new ScriptSettings(bindings, text(r, "compatibility_date"), flags, text(r, "usage_model"));
    }

    // ---------------------------------------------------------------- secrets

    /** {@code PUT …/secrets}: creates or replaces one {@code secret_text} without a new upload. */
    public void putSecret(String account, String script, String name, String value) {
        ObjectNode body = JSON.objectNode().put("name", name).put("text", value).put("type", "secret_text");
        transport.execute(ApiCall.put("/accounts/{account}/workers/scripts/{script}/secrets", account, script)
                .body(transport.json(body)));
    }

    public List<SecretInfo> listSecrets(String account, String script) {
        List<SecretInfo> secrets = new ArrayList<>();
        transport.execute(ApiCall.get("/accounts/{account}/workers/scripts/{script}/secrets", account, script))
                .result().forEach(s -> secrets.add(new SecretInfo(text(s, "name"), text(s, "type"))));
        return secrets;
    }

    public void deleteSecret(String account, String script, String name) {
        transport.execute(ApiCall.delete("/accounts/{account}/workers/scripts/{script}/secrets/{secret}", account,
                script, name));
    }

    // ---------------------------------------------------------------- workers.dev

    /** The account's workers.dev subdomain: a script is served at {@code <script>.<subdomain>.workers.dev}. */
    public String accountSubdomain(String account) {
        return text(transport.execute(ApiCall.get("/accounts/{account}/workers/subdomain", account)).result(),
                "subdomain");
    }

    public ScriptSubdomain scriptSubdomain(String account, String script) {
        return subdomain(transport.execute(
                ApiCall.get("/accounts/{account}/workers/scripts/{script}/subdomain", account, script)).result());
    }

    public ScriptSubdomain setScriptSubdomain(String account, String script, boolean enabled) {
        ApiCall post = ApiCall.post("/accounts/{account}/workers/scripts/{script}/subdomain", account, script)
                // wrangler 4.86 pins the semantics of this endpoint with this header
                .header("Cloudflare-Workers-Script-Api-Date", "2025-08-01")
                .body(transport.json(JSON.objectNode().put("enabled", enabled)))
                .retrySafe();
        return subdomain(transport.execute(post).result());
    }

    private static ScriptSubdomain subdomain(JsonNode r) {
        return new ScriptSubdomain(r.path("enabled").asBoolean(false), r.path("previews_enabled").asBoolean(false));
    }

    // ---------------------------------------------------------------- cron triggers

    /** {@code GET …/scripts/S/schedules}: the script's cron triggers. */
    public List<CronTrigger> schedules(String account, String script) {
        return cronTriggers(transport.execute(
                ApiCall.get("/accounts/{account}/workers/scripts/{script}/schedules", account, script)).result());
    }

    /** {@code PUT …/scripts/S/schedules}: replaces the whole set (an empty list removes every trigger). */
    public List<CronTrigger> putSchedules(String account, String script, List<String> crons) {
        var body = JSON.arrayNode();
        crons.forEach(cron -> body.addObject().put("cron", cron));
        return cronTriggers(transport.execute(
                ApiCall.put("/accounts/{account}/workers/scripts/{script}/schedules", account, script)
                        .body(transport.json(body))).result());
    }

    private static List<CronTrigger> cronTriggers(JsonNode r) {
        List<CronTrigger> triggers = new ArrayList<>();
        r.path("schedules").forEach(s -> triggers.add(
                new CronTrigger(text(s, "cron"), text(s, "created_on"), text(s, "modified_on"))));
        return triggers;
    }

    // ---------------------------------------------------------------- zones and routes

    /** {@code GET /zones?name=…&account.id=…}: the zone's id, if the account has that zone. */
    public Optional<String> findZoneId(String account, String zoneName) {
        ApiCall list = ApiCall.get("/zones").forAccount(account).query("name", zoneName).query("account.id", account);
        return Pagination.collect(transport, list, Pagination.Style.PAGES, 50, ApiResponse::result).stream()
                .filter(z -> zoneName.equals(text(z, "name")))
                .map(z -> text(z, "id"))
                .findFirst();
    }

    public List<WorkerRoute> listRoutes(String account, String zoneId) {
        List<WorkerRoute> routes = new ArrayList<>();
        transport.execute(ApiCall.get("/zones/{zone}/workers/routes", zoneId).forAccount(account)).result()
                .forEach(r -> routes.add(route(r)));
        return routes;
    }

    public WorkerRoute createRoute(String account, String zoneId, String pattern, String script) {
        ApiCall post = ApiCall.post("/zones/{zone}/workers/routes", zoneId).forAccount(account)
                .body(transport.json(JSON.objectNode().put("pattern", pattern).put("script", script)));
        JsonNode r = transport.execute(post).result();
        // the create answer may hold only the id
        return new WorkerRoute(text(r, "id"), pattern, script);
    }

    public void deleteRoute(String account, String zoneId, String routeId) {
        transport.execute(ApiCall.delete("/zones/{zone}/workers/routes/{route}", zoneId, routeId)
                .forAccount(account));
    }

    private static WorkerRoute route(JsonNode r) {
        return new WorkerRoute(text(r, "id"), text(r, "pattern"), text(r, "script"));
    }

    // ---------------------------------------------------------------- parsing

    private static WorkerScript workerScript(JsonNode s) {
        List<String> tags = new ArrayList<>();
        s.path("tags").forEach(t -> tags.add(t.asText()));
        return new WorkerScript(text(s, "id"), text(s, "etag"), text(s, "migration_tag"), text(s, "modified_on"), tags);
    }

    private static WorkerVersion workerVersion(JsonNode v) {
        return new WorkerVersion(text(v, "id"), v.path("number").asLong(), text(v.path("metadata"), "created_on"));
    }

    private static Deployment deployment(JsonNode d) {
        List<Deployment.Share> shares = new ArrayList<>();
        d.path("versions").forEach(v -> shares.add(
                new Deployment.Share(text(v, "version_id"), v.path("percentage").asDouble())));
        return new Deployment(text(d, "id"), text(d, "created_on"), text(d, "strategy"), shares);
    }

    private static String text(JsonNode json, String field) {
        JsonNode value = json == null ? null : json.get(field);
        return value == null || value.isNull() ? null : value.asText();
    }

    @Override
    public void close() {
        transport.releaseReservation();
        if (ownedHttp != null) {
            ownedHttp.dispatcher().executorService().shutdown();
            ownedHttp.connectionPool().evictAll();
        }
    }

    @Override
    public String toString() {
        return "CloudflareClient[" + transport.baseUrl() + ", token=<redacted>]";
    }

    /** Settings of a client; only the API token is required. */
    public static final class Builder {
        private final String apiToken;
        private String baseUrl = DEFAULT_BASE_URL;
        private Duration connectTimeout = Duration.ofSeconds(10);
        private Duration readTimeout = Duration.ofSeconds(60);
        private Duration writeTimeout = Duration.ofSeconds(60);
        private Duration callTimeout = Duration.ofMinutes(3);
        private Clock clock = Clock.systemUTC();
        private RateLimiter rateLimiter;
        private RetryPolicy retryPolicy = RetryPolicy.DEFAULT;
        private Sleeper sleeper = Sleeper.SYSTEM;
        private DoubleSupplier jitter = () -> ThreadLocalRandom.current().nextDouble();
        private Duration maxPermitWait = Duration.ofSeconds(5);
        private ApiObserver observer = ApiObserver.NONE;
        private OkHttpClient httpClient;

        private Builder(String apiToken) {
            this.apiToken = apiToken;
        }

        /** E.g. the local stand-in's {@code http://127.0.0.1:PORT/client/v4}. */
        public Builder baseUrl(String url) {
            this.baseUrl = url;
            return this;
        }

        public Builder timeouts(Duration connect, Duration read, Duration write, Duration wholeCall) {
            this.connectTimeout = connect;
            this.readTimeout = read;
            this.writeTimeout = write;
            this.callTimeout = wholeCall;
            return this;
        }

        /** The clock of the default rate limiter (a limiter passed in brings its own). */
        public Builder clock(Clock clock) {
            this.clock = clock;
            return this;
        }

        /** Share one limiter between all clients of the same accounts. */
        public Builder rateLimiter(RateLimiter limiter) {
            this.rateLimiter = limiter;
            return this;
        }

        public Builder retryPolicy(RetryPolicy policy) {
            this.retryPolicy = policy;
            return this;
        }

        public Builder sleeper(Sleeper sleeper) {
            this.sleeper = sleeper;
            return this;
        }

        /** Source of jitter in [0, 1) for backoff delays. */
        public Builder jitter(DoubleSupplier jitter) {
            this.jitter = jitter;
            return this;
        }

        /** Longest total wait for a client-side permit before failing with {@link RateLimitedException}. */
        /** Told about every exchange, permit wait and refused call (metrics). */
        public Builder observer(ApiObserver observer) {
            this.observer = Objects.requireNonNull(observer, "observer");
            return this;
        }

        public Builder maxPermitWait(Duration wait) {
            this.maxPermitWait = wait;
            return this;
        }

        /** A preconfigured OkHttp client (its timeouts win over {@link #timeouts}); the caller closes it. */
        public Builder httpClient(OkHttpClient client) {
            this.httpClient = client;
            return this;
        }

        public CloudflareClient build() {
            return new CloudflareClient(this);
        }

        @Override
        public String toString() {
            return "CloudflareClient.Builder[" + baseUrl + ", token=<redacted>]";
        }
    }
}

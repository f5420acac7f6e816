package dev.pymode.operator.e2e;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import java.io.ByteArrayInputStream;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.time.Duration;
import java.util.Base64;
import java.util.List;
import java.util.Map;

import com.fasterxml.jackson.databind.ObjectMapper;
import dev.pymode.operator.api.v1alpha1.common.SecretKeyReference;
import dev.pymode.operator.api.v1alpha1.extension.PyModeExtension;
import dev.pymode.operator.api.v1alpha1.worker.PyModeWorker;
import dev.pymode.operator.api.v1alpha1.worker.SecretBinding;
import dev.pymode.operator.api.v1alpha1.worker.WorkerBindings;
import dev.pymode.operator.status.Conditions;
import dev.pymode.operator.support.Edge;
import dev.pymode.operator.support.EndToEndResource;
import dev.pymode.devenv.GitRepo;
import dev.pymode.devenv.GitServer;
import dev.pymode.operator.support.Kubectl;
import dev.pymode.operator.support.Namespaces;
import dev.pymode.operator.support.Workers;
import dev.pymode.operator.support.Ready;
import dev.pymode.operator.support.Standin;
import dev.pymode.operator.support.PylibPython;
import dev.pymode.operator.support.TestPaths;
import io.fabric8.kubernetes.api.model.HasMetadata;
import io.fabric8.kubernetes.api.model.SecretBuilder;
import io.fabric8.kubernetes.client.KubernetesClient;
import io.fabric8.kubernetes.client.utils.Serialization;
import io.quarkus.test.common.QuarkusTestResource;
import io.quarkus.test.junit.QuarkusTest;
import jakarta.inject.Inject;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;

/**
 * kubectl apply → built → pushed → deployed → HTTP, on real parts: kube-apiserver, OCI registry, the real
 * builder, python.wasm, and the Cloudflare stand-in running the uploaded worker in workerd.
 */
@QuarkusTest
@QuarkusTestResource(value = EndToEndResource.class, restrictToAnnotatedClass = true)
@Tag("e2e")
class EndToEndTest {

    private static final Duration READY_TIMEOUT = Duration.ofMinutes(4);
    private static final ObjectMapper JSON = new ObjectMapper();

    @Inject
    KubernetesClient client;

    private PyModeWorker get(String ns, String name) {
        return client.resources(PyModeWorker.class).inNamespace(ns).withName(name).get();
    }

    private PyModeWorker awaitReady(String ns, String name) {
        return Ready.await(client, PyModeWorker.class, ns, name, READY_TIMEOUT);
    }

    private static HttpResponse<String> request(PyModeWorker worker, String method, String pathAndQuery, String body)
            throws Exception {
        String url = worker.getStatus().getDeployment().getUrl().replaceAll("/$", "") + pathAndQuery;
        return Edge.send(EndToEndResource.cloudflare.baseUrl(), url, method, body);
    }

    private static HttpResponse<String> requestJson(PyModeWorker worker, String method, String pathAndQuery, String body)
            throws Exception {
        String url = worker.getStatus().getDeployment().getUrl().replaceAll("/$", "") + pathAndQuery;
        return Edge.send(EndToEndResource.cloudflare.baseUrl(), url, method, body, "Content-Type", "application/json");
    }

    /** Applies an example the way a user does: `kubectl apply -k examples/<name>`. */
    private void applyExample(String example, String ns) throws Exception {
        Namespaces.ensure(client, ns);
        String rendered = new Kubectl(TestPaths.kubectl(), null).run("kustomize",
                TestPaths.examples().resolve(example).toString());
        for (HasMetadata item : client.load(new ByteArrayInputStream(rendered.getBytes(StandardCharsets.UTF_8)))
                .items()) {
            client.resource(item).inNamespace(ns).serverSideApply();
        }
    }

    @Test
    void helloWorkerAnswersAndFollowsSourceUpdates() throws Exception {
        applyExample("hello-worker", "e2e-hello");
        PyModeWorker worker = awaitReady("e2e-hello", "hello-worker");
        assertThat(worker.getStatus().getArtifact().getSnapshot()).as("spec.wizer unset: a snapshot").isEqualTo("made");
        assertThat(worker.getStatus().getDeployment().getUrl()).startsWith("http://hello-worker.pymode-local.workers.dev:");
        assertThat(worker.getStatus().getDeployment().getVersionId()).isNotBlank();
        HttpResponse<String> response = request(worker, "GET", "/", null);
        assertThat(response.statusCode()).isEqualTo(200);
        assertThat(response.body()).isEqualTo("Hello from PyMode!");
        String firstVersion = worker.getStatus().getDeployment().getVersionId();

        // update the source: a new bundle, a new version, the new text served
        client.configMaps().inNamespace("e2e-hello").withName("hello-worker-source").edit(cm -> {
            cm.getData().put("src--entry.py", cm.getData().get("src--entry.py").replace("Hello from PyMode!", "Hello again!"));
            return cm;
        });
        PyModeWorker updated = await().atMost(READY_TIMEOUT).pollInterval(Duration.ofSeconds(1))
                .until(() -> get("e2e-hello", "hello-worker"), w -> w.getStatus().getDeployment() != null
                        && !firstVersion.equals(w.getStatus().getDeployment().getVersionId())
                        && Conditions.isTrue(w.getStatus().getConditions(), "Ready"));
        await().atMost(Duration.ofSeconds(30)).untilAsserted(() ->
                assertThat(request(updated, "GET", "/", null).body()).isEqualTo("Hello again!"));
    }

    /** examples/sources/git-worker.yaml against a real git server holding this repository's examples/hello-worker. */
    @Test
    void aGitSourcedWorkerIsBuiltDeployedAndFollowsPushes() throws Exception {
        String ns = "e2e-git";
        Namespaces.ensure(client, ns);
        try (GitServer server = new GitServer(Files.createTempDirectory("pymode-e2e-git"))) {
            GitRepo repo = GitRepo.create(server.root(), "pymode.git");
            java.nio.file.Path hello = TestPaths.examples().resolve("hello-worker");
            String entry = Files.readString(hello.resolve("src/entry.py"));
            String first = repo.commit("main", "hello-worker", Map.of(
                    "examples/hello-worker/pyproject.toml", Files.readString(hello.resolve("pyproject.toml")),
                    "examples/hello-worker/src/entry.py", entry,
                    "README.md", "the rest of the repository"));
            PyModeWorker worker = client.getKubernetesSerialization().unmarshal(
                    Files.readString(TestPaths.examples().resolve("sources/git-worker.yaml")), PyModeWorker.class);
            worker.getMetadata().setNamespace(ns);
            worker.getSpec().getSource().getGit().setUrl(server.url("pymode.git"));
            worker.getSpec().getSource().getGit().setInterval("2s");
            client.resource(worker).create();

            PyModeWorker ready = awaitReady(ns, "hello-from-git");
            assertThat(ready.getStatus().getSourceRevision()).isEqualTo("git:" + server.url("pymode.git") + "@main:" + first);
            assertThat(request(ready, "GET", "/", null).body()).isEqualTo("Hello from PyMode!");
            String firstVersion = ready.getStatus().getDeployment().getVersionId();

            String second = repo.commit("main", "greet differently", Map.of("examples/hello-worker/src/entry.py",
                    entry.replace("Hello from PyMode!", "Hello from a push!")));
            PyModeWorker updated = await().atMost(READY_TIMEOUT).pollInterval(Duration.ofSeconds(1))
                    .until(() -> get(ns, "hello-from-git"), w -> w.getStatus().getDeployment() != null
                            && !firstVersion.equals(w.getStatus().getDeployment().getVersionId())
                            && Conditions.isTrue(w.getStatus().getConditions(), "Ready"));
            assertThat(updated.getStatus().getSourceRevision()).endsWith(":" + second);
            await().atMost(Duration.ofSeconds(30)).untilAsserted(() ->
                    assertThat(request(updated, "GET", "/", null).body()).isEqualTo("Hello from a push!"));
        }
    }

    @Test
    void apiWorkerUsesKvAndItsProjectImports() throws Exception {
        applyExample("api-worker", "e2e-api");
        PyModeWorker worker = awaitReady("e2e-api", "api-worker");

        assertThat(request(worker, "PUT", "/api/data", "{\"answer\": 42}").statusCode()).isEqualTo(201);
        HttpResponse<String> data = request(worker, "GET", "/api/data", null);
        assertThat(data.statusCode()).isEqualTo(200);
        assertThat(JSON.readTree(data.body()).path("answer").asInt()).isEqualTo(42);
        assertThat(request(worker, "GET", "/greet?name=Ada%3Cscript%3E", null).body()).isEqualTo("Hello, Adascript!");
        assertThat(request(worker, "GET", "/nope", null).statusCode()).isEqualTo(404);
    }

    /** Issue #19: a handler written for Cloudflare's Python Workers API, deployed unmodified with KV and D1. */
    @Test
    void aWorkerWrittenForCloudflaresPythonApiIsDeployedUnmodified() throws Exception {
        applyExample("cloudflare-worker", "e2e-cloudflare");
        PyModeWorker worker = awaitReady("e2e-cloudflare", "cloudflare-worker");

        assertThat(request(worker, "GET", "/", null).body()).isEqualTo("Hello from a Cloudflare Python Worker on PyMode!");
        HttpResponse<String> stored = request(worker, "POST", "/notes", "{\"id\": \"n1\", \"text\": \"unmodified\"}");
        assertThat(stored.statusCode()).as(stored.body()).isEqualTo(201);
        assertThat(request(worker, "GET", "/notes/n1", null).body()).isEqualTo("unmodified");
        assertThat(request(worker, "GET", "/notes/n2", null).statusCode()).isEqualTo(404);
        assertThat(JSON.readTree(request(worker, "GET", "/visits", null).body()).path("visits").asInt()).isEqualTo(1);
        assertThat(JSON.readTree(request(worker, "GET", "/visits", null).body()).path("visits").asInt()).isEqualTo(2);
    }

    /**
     * Issue #17: an unmodified FastAPI app with pydantic v2 models and a KV binding, its pydantic-core built by the
     * `PyModeExtension` the example carries (a Rust recipe: about 5 minutes cold, a cache hit afterwards).
     */
    @Test
    void aFastApiAppIsDeployedWithItsPydanticCoreExtension() throws Exception {
        String ns = "e2e-fastapi";
        Duration coldRustBuild = Duration.ofMinutes(20);
        applyExample("fastapi-worker", ns);
        PyModeExtension core = Ready.await(client, PyModeExtension.class, ns, "pydantic-core", coldRustBuild);
        assertThat(core.getStatus().getEntryPoints()).anySatisfy(e ->
                assertThat(e.getModule()).isEqualTo("pydantic_core._pydantic_core"));
        PyModeWorker worker = Ready.await(client, PyModeWorker.class, ns, "fastapi-worker", coldRustBuild);

        assertThat(JSON.readTree(request(worker, "GET", "/", null).body()).path("message").asText())
                .isEqualTo("Hello from FastAPI on PyMode!");
        HttpResponse<String> put = requestJson(worker, "PUT", "/notes/n1", "{\"title\": \"edge\", \"tags\": [\"a\"]}");
        assertThat(put.statusCode()).as(put.body()).isEqualTo(201);
        assertThat(JSON.readTree(put.body())).isEqualTo(JSON.readTree(
                "{\"title\": \"edge\", \"body\": \"\", \"tags\": [\"a\"], \"id\": \"n1\"}"));
        HttpResponse<String> got = request(worker, "GET", "/notes/n1", null);
        assertThat(got.statusCode()).as(got.body()).isEqualTo(200);
        assertThat(JSON.readTree(got.body()).path("title").asText()).isEqualTo("edge");
        HttpResponse<String> missing = request(worker, "GET", "/notes/n2", null);
        assertThat(missing.statusCode()).isEqualTo(404);
        assertThat(JSON.readTree(missing.body()).path("detail").asText()).isEqualTo("no note n2");
        assertThat(JSON.readTree(request(worker, "GET", "/notes?prefix=n", null).body()).path("ids").toString())
                .isEqualTo("[\"n1\"]");

        // pydantic's validation errors, as FastAPI answers them
        HttpResponse<String> invalid = requestJson(worker, "PUT", "/notes/n3", "{\"title\": \"\"}");
        assertThat(invalid.statusCode()).as(invalid.body()).isEqualTo(422);
        var error = JSON.readTree(invalid.body()).path("detail").path(0);
        assertThat(error.path("type").asText()).isEqualTo("string_too_short");
        assertThat(error.path("loc").toString()).isEqualTo("[\"body\",\"title\"]");
        assertThat(requestJson(worker, "PUT", "/notes/n3", "not json").statusCode()).isEqualTo(422);
        assertThat(requestJson(worker, "PUT", "/notes/UPPER", "{\"title\": \"x\"}").statusCode()).isEqualTo(422);

        // a sync endpoint runs through anyio's thread pool, which runs it inline on python.wasm
        assertThat(request(worker, "GET", "/sum?a=2&b=3", null).body()).isEqualTo("{\"sum\":5}");
        assertThat(request(worker, "GET", "/sum?a=two&b=3", null).statusCode()).isEqualTo(422);

        HttpResponse<String> openapi = request(worker, "GET", "/openapi.json", null);
        assertThat(openapi.statusCode()).isEqualTo(200);
        var spec = JSON.readTree(openapi.body());
        assertThat(spec.path("info").path("title").asText()).isEqualTo("Notes");
        assertThat(spec.path("paths").has("/notes/{note_id}")).isTrue();
        assertThat(spec.path("components").path("schemas").path("NoteIn").path("required").toString())
                .isEqualTo("[\"title\"]");
        HttpResponse<String> docs = request(worker, "GET", "/docs", null);
        assertThat(docs.statusCode()).isEqualTo(200);
        assertThat(docs.body()).contains("SwaggerUIBundle", "/openapi.json");
    }

    /**
     * Issue #19: upstream PyMode's three examples (examples/upstream, its files unmodified) deployed by the operator,
     * each answering what its README documents; the entry comes from each project's [tool.pymode] main.
     */
    @Test
    void upstreamsExamplesAreDeployedUnmodified() throws Exception {
        applyExample("upstream", "e2e-upstream");
        PyModeWorker hello = awaitReady("e2e-upstream", "upstream-hello-worker");
        PyModeWorker api = awaitReady("e2e-upstream", "upstream-api-worker");
        PyModeWorker workflow = awaitReady("e2e-upstream", "upstream-workflow-worker");

        assertThat(request(hello, "GET", "/", null).body()).isEqualTo("Hello from PyMode!");
        var json = JSON.readTree(request(hello, "GET", "/json", null).body());
        assertThat(json.path("method").asText()).isEqualTo("GET");
        // the stand-in's edge serves workers.dev names by Host header, as Cloudflare does: the port is not in the URL
        assertThat(json.path("url").asText()).endsWith("://upstream-hello-worker.pymode-local.workers.dev/json");
        var echo = JSON.readTree(request(hello, "POST", "/echo", "ping").body());
        assertThat(echo.path("method").asText()).isEqualTo("POST");
        assertThat(echo.path("body").asText()).isEqualTo("ping");
        assertThat(request(hello, "GET", "/greet?name=Ada", null).body()).isEqualTo("Hello, Ada!");
        assertThat(request(hello, "GET", "/missing", null).statusCode()).isEqualTo(404);

        HttpResponse<String> preflight = request(api, "OPTIONS", "/api/items", null);
        assertThat(preflight.statusCode()).isEqualTo(204);
        assertThat(preflight.headers().firstValue("access-control-allow-origin")).contains("*");
        assertThat(JSON.readTree(request(api, "GET", "/api/items", null).body()).path("items").size()).isZero();
        HttpResponse<String> created = request(api, "POST", "/api/items", "{\"id\": 7, \"name\": \"widget\"}");
        assertThat(created.statusCode()).as(created.body()).isEqualTo(201);
        assertThat(created.headers().firstValue("access-control-allow-origin")).contains("*");
        assertThat(JSON.readTree(request(api, "GET", "/api/items/7", null).body()).path("name").asText()).isEqualTo("widget");
        assertThat(request(api, "GET", "/api/items/8", null).statusCode()).isEqualTo(404);

        assertThat(JSON.readTree(request(workflow, "GET", "/workflow/info", null).body()).path("steps")
                .findValuesAsText("name")).containsExactly("validate_order", "calculate_total", "create_receipt");
        HttpResponse<String> run = request(workflow, "POST", "/workflow/run", "{\"input\": {\"item\": \"widget\", \"quantity\": 3}}");
        var result = JSON.readTree(run.body());
        assertThat(result.path("status").asText()).as(run.body()).isEqualTo("completed");
        assertThat(result.path("results").path("calculate_total").path("total").asDouble()).isEqualTo(29.97);
        assertThat(result.path("results").path("create_receipt").path("receipt_id").asText())
                .isEqualTo("REC-" + result.path("workflow_id").asText());
        var failed = JSON.readTree(request(workflow, "POST", "/workflow/run", "{\"input\": {\"quantity\": 3}}").body());
        assertThat(failed.path("status").asText()).isEqualTo("failed");
        assertThat(failed.path("error").path("error").asText()).isEqualTo("ValueError: Order must have 'item' and 'quantity'");
    }

    /**
     * Issue #19: the worker's own cron triggers (spec.crons) reach the entry's Python scheduled handler, written for
     * Cloudflare's API, when Cloudflare (here the stand-in running the script in workerd) fires them.
     */
    @Test
    void theWorkersOwnCronsCallItsPythonScheduledHandler() throws Exception {
        String ns = "e2e-cron";
        Namespaces.ensure(client, ns);
        var bindings = new WorkerBindings();
        var kv = new dev.pymode.operator.api.v1alpha1.worker.KvBinding();
        kv.setName("STATE");
        kv.setNamespace("e2e-cron-state");
        bindings.getKv().add(kv);
        PyModeWorker worker = inlineWorker(ns, "cron-worker", """
                from workers import Response, WorkerEntrypoint

                class Default(WorkerEntrypoint):
                    async def scheduled(self, controller, env, ctx):
                        await env.STATE.put("last", f"{controller.cron} at {controller.scheduledTime}")

                    async def fetch(self, request):
                        return Response(await self.env.STATE.get("last") or "never")
                """, bindings);
        worker.getSpec().setCrons(List.of("@hourly", "*/30 * * * *"));
        client.resource(worker).create();
        PyModeWorker ready = awaitReady(ns, "cron-worker");
        String script = ready.getStatus().getDeployment().getScriptName();
        assertThat(Standin.crons(script)).containsExactlyInAnyOrder("0 * * * *", "*/30 * * * *");
        assertThat(ready.getStatus().getDeployment().getSchedules()).extracting(s -> s.getCron())
                .containsExactlyInAnyOrder("0 * * * *", "*/30 * * * *");
        assertThat(request(ready, "GET", "/", null).body()).isEqualTo("never");

        var fired = Standin.admin("POST", "/__standin/scheduled", Map.of("script", script, "cron", "*/30 * * * *",
                "scheduled_time", "2026-12-07T10:30:00Z"));
        assertThat(fired.statusCode()).as(fired.body()).isEqualTo(200);
        assertThat(JSON.readTree(fired.body()).path("outcome").asText()).as(fired.body()).isEqualTo("ok");
        assertThat(request(ready, "GET", "/", null).body()).isEqualTo("*/30 * * * * at 1796639400000");

        // taking a cron away takes its trigger away
        client.resources(PyModeWorker.class).inNamespace(ns).withName("cron-worker").edit(w -> {
            w.getSpec().setCrons(List.of("*/30 * * * *"));
            return w;
        });
        await().atMost(READY_TIMEOUT).pollInterval(Duration.ofSeconds(1)).untilAsserted(() ->
                assertThat(Standin.crons(script)).containsExactly("*/30 * * * *"));
    }

    @Test
    void secretsReachEnvAndAppearNowhereElse() throws Exception {
        String ns = "e2e-secret";
        String secretValue = "s3cr3t-" + Long.toHexString(System.nanoTime());
        Namespaces.ensure(client, ns);
        client.resource(new SecretBuilder().withNewMetadata().withName("api-creds").withNamespace(ns).endMetadata()
                .addToData("token", Base64.getEncoder().encodeToString(secretValue.getBytes(StandardCharsets.UTF_8)))
                .build()).create();
        var secret = new SecretBinding();
        secret.setName("API_KEY");
        secret.setSecretKeyRef(new SecretKeyReference("api-creds", "token"));
        var bindings = new WorkerBindings();
        bindings.getSecrets().add(secret);
        PyModeWorker worker = inlineWorker(ns, "secret-worker", """
                import hashlib
                from pymode.workers import Response

                def on_fetch(request, env):
                    return Response(hashlib.sha256(env.API_KEY.encode()).hexdigest())
                """, bindings);
        client.resource(worker).create();
        PyModeWorker ready = awaitReady(ns, "secret-worker");

        String expected = java.util.HexFormat.of().formatHex(java.security.MessageDigest.getInstance("SHA-256")
                .digest(secretValue.getBytes(StandardCharsets.UTF_8)));
        assertThat(request(ready, "GET", "/", null).body()).isEqualTo(expected);

        String status = Serialization.asYaml(get(ns, "secret-worker"));
        String events = Serialization.asYaml(client.v1().events().inNamespace(ns).list());
        String operatorLog = Files.readString(EndToEndResource.operatorLog);
        String standinLog = EndToEndResource.cloudflare.log();
        for (var place : Map.of("status", status, "events", events, "operator log", operatorLog,
                "stand-in log", standinLog).entrySet()) {
            assertThat(place.getValue()).as(place.getKey()).doesNotContain(secretValue);
        }
        assertThat(operatorLog).as("the operator log is really being written").contains("pymodeworker");
    }

    @Test
    void deletingTheWorkerRemovesTheScriptAndItsResources() throws Exception {
        String ns = "e2e-delete";
        Namespaces.ensure(client, ns);
        var bindings = new WorkerBindings();
        var kv = new dev.pymode.operator.api.v1alpha1.worker.KvBinding();
        kv.setName("CACHE");
        kv.setNamespace("e2e-delete-cache");
        bindings.getKv().add(kv);
        client.resource(inlineWorker(ns, "short-lived", """
                from pymode.workers import Response

                def on_fetch(request, env):
                    env.CACHE.put("k", "v")
                    return Response(env.CACHE.get("k"))
                """, bindings)).create();
        PyModeWorker ready = awaitReady(ns, "short-lived");
        assertThat(request(ready, "GET", "/", null).body()).isEqualTo("v");
        assertThat(standin("/accounts/" + EndToEndResource.ACCOUNT + "/storage/kv/namespaces")).contains("e2e-delete-cache");

        client.resources(PyModeWorker.class).inNamespace(ns).withName("short-lived").delete();
        await().atMost(Duration.ofSeconds(60)).until(() -> get(ns, "short-lived") == null);
        assertThat(standinStatus("/accounts/" + EndToEndResource.ACCOUNT + "/workers/scripts/short-lived")).isEqualTo(404);
        assertThat(standin("/accounts/" + EndToEndResource.ACCOUNT + "/storage/kv/namespaces"))
                .doesNotContain("e2e-delete-cache");
    }

    @Test
    void routesFollowTheSpecAndGoWithTheWorker() throws Exception {
        String ns = "e2e-routes";
        Namespaces.ensure(client, ns);
        PyModeWorker worker = inlineWorker(ns, "routed", """
                from pymode.workers import Response

                def on_fetch(request, env):
                    return Response("routed " + request.path)
                """, null);
        var cloudflare = new dev.pymode.operator.api.v1alpha1.worker.CloudflareTarget();
        cloudflare.setWorkersDev(false);
        var route = new dev.pymode.operator.api.v1alpha1.worker.WorkerRoute();
        route.setPattern(EndToEndResource.ZONE + "/api/*");
        cloudflare.getRoutes().add(route);
        worker.getSpec().setCloudflare(cloudflare);
        client.resource(worker).create();
        PyModeWorker ready = awaitReady(ns, "routed");
        assertThat(ready.getStatus().getDeployment().getUrl()).isEqualTo("https://" + EndToEndResource.ZONE + "/api/");
        assertThat(ready.getStatus().getDeployment().getRoutes()).singleElement()
                .satisfies(r -> assertThat(r.getPattern()).isEqualTo(EndToEndResource.ZONE + "/api/*"));
        assertThat(request(ready, "GET", "/users", null).body()).isEqualTo("routed /api/users");
        String zoneId = ready.getStatus().getDeployment().getRoutes().get(0).getZoneId();
        assertThat(zoneRoutes(zoneId)).containsExactly(EndToEndResource.ZONE + "/api/* -> routed");

        client.resources(PyModeWorker.class).inNamespace(ns).withName("routed").edit(w -> {
            w.getSpec().getCloudflare().getRoutes().get(0).setPattern(EndToEndResource.ZONE + "/v2/*");
            return w;
        });
        PyModeWorker moved = awaitReady(ns, "routed");
        await().atMost(Duration.ofSeconds(60)).until(() -> zoneRoutes(zoneId),
                routes -> routes.equals(List.of(EndToEndResource.ZONE + "/v2/* -> routed")));
        assertThat(moved.getStatus().getDeployment().getRoutes()).extracting(r -> r.getPattern())
                .containsExactly(EndToEndResource.ZONE + "/v2/*");
        assertThat(client.v1().events().inNamespace(ns).list().getItems()).anySatisfy(e -> {
            assertThat(e.getReason()).isEqualTo("RouteRemoved");
            assertThat(e.getMessage()).contains(EndToEndResource.ZONE + "/api/*");
        });

        client.resources(PyModeWorker.class).inNamespace(ns).withName("routed").delete();
        await().atMost(Duration.ofSeconds(60)).until(() -> get(ns, "routed") == null);
        assertThat(zoneRoutes(zoneId)).isEmpty();
    }

    /** The zone's routes on the stand-in, as "pattern -> script". */
    private static List<String> zoneRoutes(String zoneId) throws Exception {
        List<String> routes = new java.util.ArrayList<>();
        JSON.readTree(standin("/zones/" + zoneId + "/workers/routes")).path("result")
                .forEach(r -> routes.add(r.path("pattern").asText() + " -> " + r.path("script").asText()));
        return routes;
    }

    @Test
    void rateLimitsAndServerErrorsAreRiddenOut() throws Exception {
        String ns = "e2e-faults";
        Namespaces.ensure(client, ns);
        fault(Map.of("method", "PUT", "path", "/accounts/*/workers/scripts/flaky", "status", 429, "retry_after", 2));
        fault(Map.of("method", "GET", "path", "/accounts/*/workers/scripts", "status", 503, "count", 2));
        client.resource(inlineWorker(ns, "flaky", """
                from pymode.workers import Response

                def on_fetch(request, env):
                    return Response("made it")
                """, null)).create();
        PyModeWorker ready = awaitReady(ns, "flaky");
        assertThat(request(ready, "GET", "/", null).body()).isEqualTo("made it");
        List<String> reasons = client.v1().events().inNamespace(ns).list().getItems().stream()
                .map(e -> e.getReason()).toList();
        assertThat(reasons).contains("Deployed");
        String requests = Standin.admin("GET", "/__standin/requests", null).body();
        assertThat(requests).contains("\"status\":429");
    }

    /** The Python user's path: `pymode init`, then `pymode deploy` with kubectl against the cluster until Ready. */
    @Test
    void aProjectFromTheCliIsDeployedAndAnswers() throws Exception {
        String ns = "e2e-cli";
        Namespaces.ensure(client, ns);
        java.nio.file.Path dir = Files.createTempDirectory("pymode-cli");
        cli(dir, "init", "my-app");
        String deployed = cli(dir, "deploy", "my-app", "--namespace", ns, "--kubeconfig",
                System.getProperty("kubeconfig"), "--timeout", "240");
        PyModeWorker worker = awaitReady(ns, "my-app");
        assertThat(deployed).contains(worker.getStatus().getDeployment().getUrl());
        assertThat(request(worker, "GET", "/", null).body()).isEqualTo("Hello from PyMode!");
        assertThat(request(worker, "GET", "/greet?name=CLI", null).body()).isEqualTo("Hello, CLI!");
    }

    private static String cli(java.nio.file.Path cwd, String... args) throws Exception {
        List<String> command = new java.util.ArrayList<>(List.of(PylibPython.path(), "-m", "pymode.cli"));
        command.addAll(List.of(args));
        ProcessBuilder builder = new ProcessBuilder(command).directory(cwd.toFile())
                .redirectError(ProcessBuilder.Redirect.INHERIT);
        builder.environment().put("PATH", TestPaths.kubectl().getParent() + ":" + System.getenv("PATH"));
        Process process = builder.start();
        String out = new String(process.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
        assertThat(process.waitFor()).as("pymode " + String.join(" ", args)).isZero();
        return out;
    }

    private static PyModeWorker inlineWorker(String ns, String name, String entry, WorkerBindings bindings) {
        PyModeWorker worker = Workers.inline(ns, name, entry);
        worker.getSpec().setBindings(bindings);
        return worker;
    }

    private static String standin(String apiPath) throws Exception {
        return Standin.api(apiPath).body();
    }

    private static int standinStatus(String apiPath) throws Exception {
        return Standin.api(apiPath).statusCode();
    }

    private static void fault(Map<String, Object> spec) throws Exception {
        var response = Standin.admin("POST", "/__standin/faults", spec);
        assertThat(response.statusCode()).as(response.body()).isEqualTo(200);
    }
}

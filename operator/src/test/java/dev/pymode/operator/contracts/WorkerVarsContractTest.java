package dev.pymode.operator.contracts;

import static org.assertj.core.api.Assertions.assertThat;

import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.pymode.cloudflare.Binding;
import dev.pymode.operator.api.v1alpha1.worker.PyModeWorker;
import dev.pymode.operator.api.v1alpha1.worker.PyModeWorkerSpec;
import dev.pymode.operator.api.v1alpha1.workflow.PyModeWorkflow;
import dev.pymode.operator.bindings.BindingKind;
import dev.pymode.operator.bindings.BindingKinds;
import dev.pymode.operator.deploy.WorkerUploadFactory;
import dev.pymode.operator.workflow.WorkerSchedules;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Tag;

/**
 * The Worker vars at the operator's end (schemas/worker-vars/): what WorkerUploadFactory writes for a worker with every
 * binding kind, vars, secrets, routing, its own cron and scheduled workflows is valid under the schemas. The readers'
 * end is worker/test/contracts.test.ts, on the same corpus of examples.
 */
@Tag("unit")
class WorkerVarsContractTest {

    private static final String ROUTING_VARS = "PYMODE_ROUTING PYMODE_SHARDS PYMODE_SHARD_KEY PYMODE_POOL_MAX_REQUESTS";

    private static final BindingKinds.Resolved RESOLVED = new BindingKinds.Resolved(Map.of(
            "kv", Map.of("CACHE", "0f2ac74b498b48028cb68387c421e279"), "r2", Map.of("FILES", "files"),
            "d1", Map.of("DB", "4e1c28a9-90e8-41da-8b4b-6cf36e5abb29"), "queue", Map.of("JOBS", "jobs"),
            "service", Map.of("AUTH", "auth-worker")));

    private static PyModeWorkerSpec spec(String routing) throws Exception {
        return Contracts.JSON.readValue("""
                {"bindings": {"kv": [{"name": "CACHE", "namespace": "cache"}], "r2": [{"name": "FILES", "bucket": "files"}],
                              "d1": [{"name": "DB", "database": "db"}], "queues": [{"name": "JOBS", "queue": "jobs"}],
                              "services": [{"name": "AUTH", "service": "auth-worker"}], "vars": {"MODE": "production"},
                              "secrets": [{"name": "TOKEN", "secretKeyRef": {"name": "s", "key": "token"}}]},
                 "routing": %s,
                 "crons": ["0 * * * *", "30 2 * * MON"]}
                """.formatted(routing), PyModeWorkerSpec.class);
    }

    private static PyModeWorkflow workflow(String name, String spec) throws Exception {
        return Contracts.JSON.readValue("""
                {"apiVersion": "pymode.dev/v1alpha1", "kind": "PyModeWorkflow", "metadata": {"name": "%s"},
                 "spec": %s}""".formatted(name, spec), PyModeWorkflow.class);
    }

    /** The plain-text vars of the upload for {@code spec}, with the schedules of its crons and two workflows. */
    private static Map<String, String> vars(PyModeWorkerSpec spec) throws Exception {
        PyModeWorker worker = new PyModeWorker();
        worker.setSpec(spec);
        var schedules = WorkerSchedules.of(worker, List.of(
                workflow("nightly-orders", """
                        {"workerRef": {"name": "w"}, "workflow": "orders", "schedule": "*/5 * * * *",
                         "input": {"region": "eu", "limit": 10}, "concurrencyPolicy": "Replace",
                         "retry": {"retries": 5, "backoffSeconds": 1.5, "backoffFactor": 3}}"""),
                workflow("cleanup", """
                        {"workerRef": {"name": "w"}, "workflow": "cleanup", "schedule": "0 3 * * *"}""")));
        var bundle = BundleContractTest.withFiles("sha256:plain", Contracts.examples("bundle", "valid").get("plain.json"));
        var upload = new WorkerUploadFactory(Contracts.JSON).build(bundle, spec, RESOLVED, Map.of("TOKEN", "s3cret"),
                schedules, "contract test");
        Map<String, String> vars = new TreeMap<>();
        for (Binding binding : upload.bindings()) {
            if (binding instanceof Binding.PlainText text) {
                vars.put(text.name(), text.text());
            }
        }
        return vars;
    }

    private static ObjectNode routingVars(Map<String, String> vars) {
        ObjectNode out = Contracts.JSON.createObjectNode();
        vars.forEach((name, value) -> {
            if (List.of(ROUTING_VARS.split(" ")).contains(name)) {
                out.put(name, value);
            }
        });
        return out;
    }

    @Test
    void theDeclarationAndTheSchedulesAreValid() throws Exception {
        Map<String, String> vars = vars(spec("{\"mode\": \"isolate\", \"maxRequestsPerInstance\": 1}"));
        JsonNode declaration = Contracts.JSON.readTree(vars.get("PYMODE_BINDINGS_DECL"));
        assertThat(Contracts.errors("worker-vars/bindings-decl.schema.json", declaration)).isEmpty();
        assertThat(declaration.size()).isEqualTo(7);
        JsonNode schedules = Contracts.JSON.readTree(vars.get("PYMODE_SCHEDULES"));
        assertThat(Contracts.errors("worker-vars/schedules.schema.json", schedules)).isEmpty();
        assertThat(schedules.findValuesAsText("handler")).hasSize(2); // the worker's own crons
        assertThat(schedules.findValuesAsText("workflow")).containsExactly("cleanup", "orders");
    }

    @Test
    void theRoutingVarsOfEveryModeAreValid() throws Exception {
        for (String routing : List.of("null", "{\"mode\": \"isolate\", \"maxRequestsPerInstance\": 1}", "{\"mode\": \"single\"}",
                "{\"mode\": \"sharded\", \"shards\": 8, \"shardKey\": \"cf-connecting-ip\"}", "{\"mode\": \"sharded\"}",
                "{\"mode\": \"per-request\"}")) {
            ObjectNode written = routingVars(vars(spec(routing)));
            assertThat(Contracts.errors("worker-vars/routing.schema.json", written)).as(routing).isEmpty();
        }
    }

    @Test
    void theDeclarationsKindsAreTheRegistrys() {
        List<String> kinds = new ArrayList<>(BindingKinds.ALL.stream().map(BindingKind::name).toList());
        kinds.addAll(List.of("var", "secret"));
        JsonNode schema = Contracts.schemaDocument("worker-vars/bindings-decl.schema.json");
        List<String> listed = new ArrayList<>();
        schema.path("additionalProperties").path("enum").forEach(k -> listed.add(k.asText()));
        assertThat(listed).containsExactlyInAnyOrderElementsOf(kinds);
    }
}

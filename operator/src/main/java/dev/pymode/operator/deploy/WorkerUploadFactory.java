package dev.pymode.operator.deploy;

import java.util.ArrayList;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeMap;

import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.pymode.cloudflare.Binding;
import dev.pymode.cloudflare.MigrationStep;
import dev.pymode.cloudflare.ModuleType;
import dev.pymode.cloudflare.WorkerUpload;
import dev.pymode.operator.api.v1alpha1.worker.PyModeWorkerSpec;
import dev.pymode.operator.api.v1alpha1.worker.WorkerBindings;
import dev.pymode.operator.api.v1alpha1.worker.WorkerRouting;
import dev.pymode.operator.bindings.BindingKinds;
import dev.pymode.operator.workflow.ScheduleEntry;

/**
 * Turns a built bundle plus the worker's bindings into the upload Cloudflare receives: the bundle's modules,
 * its Durable Object classes and migrations, the bindings of every kind of the registry ({@link BindingKinds}:
 * KV/R2/D1 by resolved id, queues, services), vars, secrets, and the
 * {@code PYMODE_BINDINGS_DECL} var that tells the runtime which name is which kind, and the
 * {@code PYMODE_SCHEDULES} var that says what the script's cron triggers start, and the bundle's static assets
 * ({@link BundleAssets}) with their binding.
 */
public class WorkerUploadFactory {

    static final String BINDINGS_DECL = "PYMODE_BINDINGS_DECL";
    /** What each cron trigger starts (worker/src/runtime/schedules.ts); a host var, not shown to Python. */
    static final String SCHEDULES = "PYMODE_SCHEDULES";
    static final String ROUTING = "PYMODE_ROUTING";
    static final String SHARDS = "PYMODE_SHARDS";
    static final String SHARD_KEY = "PYMODE_SHARD_KEY";
    static final String POOL_MAX_REQUESTS = "PYMODE_POOL_MAX_REQUESTS";
    /** The reason of a spec binding named like one the bundle brings (its assets binding). */
    public static final String BINDING_NAME_CLASH = "BindingNameClash";

    private final ObjectMapper mapper;

    public WorkerUploadFactory(ObjectMapper mapper) {
        this.mapper = mapper;
    }

    public WorkerUpload build(BundleStore.Bundle bundle, PyModeWorkerSpec spec, BindingKinds.Resolved resources,
                              Map<String, String> secretValues, List<ScheduleEntry> schedules, String message) {
        JsonNode manifest = bundle.manifest();
        WorkerUpload.Builder upload = WorkerUpload.builder(manifest.path("main_module").asText());
        for (JsonNode module : manifest.path("modules")) {
            String name = module.path("name").asText();
            byte[] content = bundle.files().get(name);
            if (content == null) {
                throw new IllegalStateException("bundle " + bundle.digest() + " lists module " + name + " but lacks it");
            }
            upload.module(name, moduleType(module.path("type").asText()), content);
        }
        for (JsonNode durableObject : manifest.path("durable_objects")) {
            upload.binding(new Binding.DurableObjectNamespace(durableObject.path("binding").asText(),
                    durableObject.path("class_name").asText(), null));
        }
        upload.migrations(migrations(manifest.path("migrations")));

        Map<String, String> declaration = new TreeMap<>();
        WorkerBindings bindings = spec.getBindings() == null ? new WorkerBindings() : spec.getBindings();
        BindingKinds.metadata(bindings, resources, declaration).forEach(upload::binding);
        bindings.getVars().forEach((name, value) -> {
            upload.binding(new Binding.PlainText(name, value));
            declaration.put(name, "var");
        });
        bindings.getSecrets().forEach(b -> {
            upload.binding(new Binding.SecretText(b.getName(), secretValues.get(b.getName())));
            declaration.put(b.getName(), "secret");
        });
        upload.binding(new Binding.PlainText(BINDINGS_DECL, json(declaration)));
        if (!schedules.isEmpty()) {
            upload.binding(new Binding.PlainText(SCHEDULES, json(schedules)));
        }
        routingVars(spec.getRouting()).forEach((name, value) -> upload.binding(new Binding.PlainText(name, value)));
        BundleAssets.read(bundle).ifPresent(assets -> {
            if (upload.bindingNames().contains(assets.binding())) {
                throw new InvalidDeployInputException(BINDING_NAME_CLASH, "bundle " + bundle.digest()
                        + " binds its static assets as " + assets.binding() + ", which the worker already uses as a "
                        + "binding name; rename that binding in spec.bindings");
            }
            upload.binding(new Binding.Assets(assets.binding())).assets(assets.files());
        });

        var cloudflare = spec.getCloudflare();
        String date = cloudflare != null && cloudflare.getCompatibilityDate() != null ? cloudflare.getCompatibilityDate()
                : manifest.path("compatibility_date").asText();
        Set<String> flags = new LinkedHashSet<>();
        manifest.path("compatibility_flags").forEach(f -> flags.add(f.asText()));
        if (cloudflare != null) {
            flags.addAll(cloudflare.getCompatibilityFlags());
        }
        return upload.compatibilityDate(date).compatibilityFlags(List.copyOf(flags))
                .annotations(message, null).build();
    }

    /** spec.routing as the Worker's vars (worker/README.md "Routing policy"); unset fields leave the Worker's defaults. */
    static Map<String, String> routingVars(WorkerRouting routing) {
        Map<String, String> vars = new TreeMap<>();
        if (routing == null) {
            return vars;
        }
        if (routing.getMode() != null) {
            vars.put(ROUTING, routing.getMode().varValue());
        }
        if (routing.getShards() != null) {
            vars.put(SHARDS, routing.getShards().toString());
        }
        if (routing.getShardKey() != null) {
            vars.put(SHARD_KEY, routing.getShardKey());
        }
        if (routing.getMaxRequestsPerInstance() != null) {
            vars.put(POOL_MAX_REQUESTS, routing.getMaxRequestsPerInstance().toString());
        }
        return vars;
    }

    private static ModuleType moduleType(String bundleType) {
        return switch (bundleType) {
            case "esm" -> ModuleType.ESM;
            case "compiled-wasm" -> ModuleType.COMPILED_WASM;
            case "data" -> ModuleType.DATA;
            case "text" -> ModuleType.TEXT;
            default -> throw new IllegalStateException("unknown module type in bundle.json: " + bundleType);
        };
    }

    /** bundle.json carries one tag for its whole migration list (the runtime's two DO classes). */
    private static List<MigrationStep> migrations(JsonNode migrations) {
        List<MigrationStep> steps = new ArrayList<>();
        String tag = migrations.path("new_tag").asText();
        for (JsonNode step : migrations.path("steps")) {
            List<String> classes = new ArrayList<>();
            step.path("new_sqlite_classes").forEach(c -> classes.add(c.asText()));
            steps.add(MigrationStep.newSqliteClasses(tag, classes.toArray(String[]::new)));
        }
        return steps;
    }

    private String json(Object value) {
        try {
            return mapper.writeValueAsString(value);
        } catch (JsonProcessingException e) {
            throw new IllegalStateException(e);
        }
    }
}

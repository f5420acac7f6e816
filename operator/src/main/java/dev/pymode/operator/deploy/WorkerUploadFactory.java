package dev.pymode.operator.deploy;

import java.util.ArrayList;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import java.util.Optional;
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
 * {@code PYMODE_SCHEDULES} var that says what the script's cron triggers start, and the binding of the account's
 * script that serves the bundle's static assets ({@link BundleAssets}, {@link SharedAssetsScript}).
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
    /** The reason of a bundle whose bundle.json no upload can be made of (its contract: schemas/bundle.schema.json). */
    public static final String INVALID_BUNDLE = "InvalidBundle";
    /** The bundle.json layout this operator reads (worker/scripts/bundle.mjs BUNDLE_FORMAT). */
    static final String BUNDLE_FORMAT = "pymode-bundle/1";
    private static final Map<String, ModuleType> MODULE_TYPES = Map.of("esm", ModuleType.ESM,
            "compiled-wasm", ModuleType.COMPILED_WASM, "data", ModuleType.DATA, "text", ModuleType.TEXT);

    private final ObjectMapper mapper;

    public WorkerUploadFactory(ObjectMapper mapper) {
        this.mapper = mapper;
    }

    public WorkerUpload build(BundleStore.Bundle bundle, PyModeWorkerSpec spec, BindingKinds.Resolved resources,
                              Map<String, String> secretValues, List<ScheduleEntry> schedules, String message) {
        return build(bundle, sharedAssets(bundle), spec, resources, secretValues, schedules, message);
    }

    /** The script that serves the bundle's static assets to the worker; empty when the bundle has none. */
    public static Optional<SharedAssetsScript> sharedAssets(BundleStore.Bundle bundle) {
        return BundleAssets.read(bundle).map(SharedAssetsScript::of);
    }

    /** @param assets {@link #sharedAssets} of the bundle (read once by a caller that also deploys them) */
    public WorkerUpload build(BundleStore.Bundle bundle, Optional<SharedAssetsScript> assets, PyModeWorkerSpec spec,
                              BindingKinds.Resolved resources, Map<String, String> secretValues,
                              List<ScheduleEntry> schedules, String message) {
        JsonNode manifest = bundle.manifest();
        checkFormat(bundle);
        String mainModule = manifest.path("main_module").asText();
        WorkerUpload.Builder upload = WorkerUpload.builder(mainModule);
        boolean mainListed = false;
        for (JsonNode module : manifest.path("modules")) {
            String name = module.path("name").asText();
            byte[] content = bundle.files().get(name);
            if (content == null) {
                throw invalidBundle(bundle, "bundle.json lists module '" + name + "', which the bundle lacks");
            }
            ModuleType type = MODULE_TYPES.get(module.path("type").asText());
            if (type == null) {
                throw invalidBundle(bundle, "bundle.json gives module '" + name + "' the unknown type "
                        + module.path("type") + " (one of " + new TreeMap<>(MODULE_TYPES).keySet() + ")");
            }
            upload.module(name, type, content);
            mainListed |= name.equals(mainModule);
        }
        if (!mainListed) {
            throw invalidBundle(bundle, "bundle.json's main_module '" + mainModule + "' is not one of its modules");
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
        assets.ifPresent(shared -> {
            if (upload.bindingNames().contains(shared.binding())) {
                throw new InvalidDeployInputException(BINDING_NAME_CLASH, "bundle " + bundle.digest()
                        + " binds its static assets as " + shared.binding() + ", which the worker already uses as a "
                        + "binding name; rename that binding in spec.bindings");
            }
            upload.binding(shared.workerBinding());
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

    /**
     * A bundle of another layout is refused rather than read by this one's field names; a bundle.json without a
     * format (hand-made test bundles) is read as this layout.
     */
    private static void checkFormat(BundleStore.Bundle bundle) {
        JsonNode format = bundle.manifest().get("format");
        if (format != null && !BUNDLE_FORMAT.equals(format.asText())) {
            throw invalidBundle(bundle, "bundle.json's format is " + format + "; this operator reads " + BUNDLE_FORMAT);
        }
    }

    /** Retrying cannot mend a bundle: the Deployed stage stalls with {@link #INVALID_BUNDLE} until a new build. */
    private static InvalidDeployInputException invalidBundle(BundleStore.Bundle bundle, String problem) {
        return new InvalidDeployInputException(INVALID_BUNDLE, "bundle " + bundle.digest() + ": " + problem);
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

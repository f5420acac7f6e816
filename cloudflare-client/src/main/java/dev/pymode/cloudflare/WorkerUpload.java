package dev.pymode.cloudflare;

import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.HexFormat;
import java.util.List;
import java.util.Objects;
import java.util.Optional;
import java.util.Set;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.JsonNodeFactory;
import com.fasterxml.jackson.databind.node.ObjectNode;

/**
 * Everything one worker upload sends: modules plus the metadata wrangler would write for them. Used for both
 * upload forms (script PUT and version POST); {@link #contentHash()} lets the operator skip unchanged uploads.
 */
public final class WorkerUpload {

    private final String mainModule;
    private final List<WorkerModule> modules;
    private final List<Binding> bindings;
    private final String compatibilityDate;
    private final List<String> compatibilityFlags;
    private final List<MigrationStep> migrations;
    private final List<String> keepBindings;
    private final String message;
    private final String tag;
    private final StaticAssets assets;

    private WorkerUpload(Builder b) {
        this.mainModule = Objects.requireNonNull(b.mainModule, "mainModule");
        this.modules = List.copyOf(b.modules);
        this.bindings = List.copyOf(b.bindings);
        this.compatibilityDate = b.compatibilityDate;
        this.compatibilityFlags = List.copyOf(b.compatibilityFlags);
        this.migrations = List.copyOf(b.migrations);
        this.keepBindings = List.copyOf(b.keepBindings);
        this.message = b.message;
        this.tag = b.tag;
        this.assets = b.assets;
        if (modules.stream().noneMatch(m -> m.name().equals(mainModule))) {
            throw new IllegalArgumentException("main module " + mainModule + " is not among the modules");
        }
        Set<String> names = new HashSet<>();
        for (WorkerModule module : modules) {
            if (!names.add(module.name()) || module.name().equals("metadata")) {
                throw new IllegalArgumentException("module name used twice or reserved: " + module.name());
            }
        }
        Set<String> bindingNames = new HashSet<>();
        for (Binding binding : bindings) {
            if (!bindingNames.add(binding.name())) {
                throw new IllegalArgumentException("binding name used twice: " + binding.name());
            }
        }
    }

    public static Builder builder(String mainModule) {
        return new Builder(mainModule);
    }

    public String mainModule() {
        return mainModule;
    }

    public List<WorkerModule> modules() {
        return modules;
    }

    public List<Binding> bindings() {
        return bindings;
    }

    public List<MigrationStep> migrations() {
        return migrations;
    }

    /** The static assets uploaded before this upload (their completion token goes into its metadata). */
    public Optional<StaticAssets> assets() {
        return Optional.ofNullable(assets);
    }

    /**
     * The {@code metadata} part, with the keys in wrangler's order.
     *
     * @param migrationsToApply from {@link Migrations#toUpload}; empty for a version upload
     */
    public ObjectNode metadata(Optional<ObjectNode> migrationsToApply) {
        return metadata(migrationsToApply, null);
    }

    /**
     * The same with {@code assets: {jwt, config}} when this upload has assets.
     *
     * @param assetsToken the completion token of the assets upload; null leaves {@code jwt} out (as in
     *                    {@link #contentHash}, which must not change with every session)
     */
    ObjectNode metadata(Optional<ObjectNode> migrationsToApply, AssetsToken assetsToken) {
        ObjectNode metadata = JsonNodeFactory.instance.objectNode();
        metadata.put("main_module", mainModule);
        ArrayNode bindingsJson = metadata.putArray("bindings");
        bindings.forEach(binding -> bindingsJson.add(binding.toJson()));
        if (compatibilityDate != null) {
            metadata.put("compatibility_date", compatibilityDate);
        }
        ArrayNode flags = metadata.putArray("compatibility_flags");
        compatibilityFlags.forEach(flags::add);
        migrationsToApply.ifPresent(m -> metadata.set("migrations", m));
        if (!keepBindings.isEmpty()) {
            ArrayNode keep = metadata.putArray("keep_bindings");
            keepBindings.forEach(keep::add);
        }
        if (message != null || tag != null) {
            ObjectNode annotations = metadata.putObject("annotations");
            if (message != null) {
                annotations.put("workers/message", message);
            }
            if (tag != null) {
                annotations.put("workers/tag", tag);
            }
        }
        if (assets != null) {
            ObjectNode assetsJson = metadata.putObject("assets");
            if (assetsToken != null) {
                assetsJson.put("jwt", assetsToken.value());
            }
            assetsJson.set("config", assets.config());
        }
        return metadata;
    }

    /** The multipart form: metadata first, then the main module, then the others in the order given. */
    MultipartForm form(Optional<ObjectNode> migrationsToApply) {
        return form(migrationsToApply, null, null);
    }

    /**
     * The same with the script-level {@code tags} the script should carry afterwards (a whole-script PUT sets them
     * in the same call; null leaves them). Tags are not part of {@link #digest}: they describe the script, not
     * the code and settings it runs.
     */
    MultipartForm form(Optional<ObjectNode> migrationsToApply, List<String> scriptTags, AssetsToken assetsToken) {
        if (assets != null && assetsToken == null) {
            throw new IllegalStateException("an upload with static assets needs their completion token");
        }
        ObjectNode metadata = metadata(migrationsToApply, assetsToken);
        if (scriptTags != null) {
            scriptTags.forEach(metadata.putArray("tags")::add);
        }
        MultipartForm form = new MultipartForm().field("metadata", metadata.toString());
        List<WorkerModule> ordered = new ArrayList<>(modules);
        ordered.sort((a, b) -> Boolean.compare(!a.name().equals(mainModule), !b.name().equals(mainModule)));
        ordered.forEach(m -> form.file(m.name(), m.name(), m.type().mimeType(), m.content()));
        return form;
    }

    /**
     * A stable digest ({@code sha256:<hex>}) of what this upload would deploy: the metadata with the whole
     * migration history (not the remote-dependent slice), every module's name, type and bytes, and the static
     * assets' manifest (path, hash, size; not the session's token) and config. Secret
     * values are left out, so the digest can sit in a status field; push changed secrets with
     * {@link CloudflareClient#putSecret}.
     */
    public String contentHash() {
        ObjectNode metadata = JsonNodeFactory.instance.objectNode();
        metadata.set("metadata", metadata(Optional.empty()));
        ArrayNode history = metadata.putArray("migration_history");
        migrations.forEach(step -> history.add(step.toJson().put("tag", step.tag())));
        for (JsonNode binding : metadata.get("metadata").get("bindings")) {
            if (binding.path("type").asText().equals("secret_text")) {
                ((ObjectNode) binding).remove("text");
            }
        }
        MessageDigest sha256 = sha256();
        frame(sha256, metadata.toString().getBytes(StandardCharsets.UTF_8));
        for (WorkerModule module : modules) {
            frame(sha256, module.name().getBytes(StandardCharsets.UTF_8));
            frame(sha256, module.type().mimeType().getBytes(StandardCharsets.UTF_8));
            frame(sha256, module.content());
        }
        if (assets != null) {
            frame(sha256, assets.manifest().toString().getBytes(StandardCharsets.UTF_8));
        }
        return "sha256:" + HexFormat.of().formatHex(sha256.digest());
    }

    /** Length-prefixed, so moving bytes from one field to the next changes the digest. */
    private static void frame(MessageDigest digest, byte[] bytes) {
        digest.update(ByteBuffer.allocate(Long.BYTES).putLong(bytes.length).array());
        digest.update(bytes);
    }

    private static MessageDigest sha256() {
        try {
            return MessageDigest.getInstance("SHA-256");
        } catch (NoSuchAlgorithmException e) {
            throw new IllegalStateException("every JVM has SHA-256", e);
        }
    }

    @Override
    public String toString() {
        return "WorkerUpload[main=" + mainModule + ", modules=" + modules + ", bindings=" + bindings
                + ", compatibilityDate=" + compatibilityDate + ", migrations=" + migrations.size()
                + (assets == null ? "" : ", assets=" + assets) + "]";
    }

    public static final class Builder {
        private final String mainModule;
        private final List<WorkerModule> modules = new ArrayList<>();
        private final List<Binding> bindings = new ArrayList<>();
        private String compatibilityDate;
        private final List<String> compatibilityFlags = new ArrayList<>();
        private final List<MigrationStep> migrations = new ArrayList<>();
        private final List<String> keepBindings = new ArrayList<>();
        private String message;
        private String tag;
        private StaticAssets assets;

        private Builder(String mainModule) {
            this.mainModule = mainModule;
        }

        public Builder module(String name, ModuleType type, byte[] content) {
            modules.add(new WorkerModule(name, type, content));
            return this;
        }

        public Builder module(WorkerModule module) {
            modules.add(module);
            return this;
        }

        public Builder binding(Binding binding) {
            bindings.add(binding);
            return this;
        }

        public Builder bindings(List<? extends Binding> all) {
            bindings.addAll(all);
            return this;
        }

        /** The names of the bindings added so far. */
        public Set<String> bindingNames() {
            Set<String> names = new java.util.LinkedHashSet<>();
            bindings.forEach(b -> names.add(b.name()));
            return names;
        }

        public Builder compatibilityDate(String date) {
            this.compatibilityDate = date;
            return this;
        }

        public Builder compatibilityFlags(List<String> flags) {
            compatibilityFlags.addAll(flags);
            return this;
        }

        /** The worker's whole migration history, oldest first. */
        public Builder migrations(List<MigrationStep> steps) {
            migrations.addAll(steps);
            return this;
        }

        /**
         * Binding types Cloudflare keeps from the previous upload, e.g. {@code secret_text} when secrets are
         * managed with the secrets API instead of being sent with every upload.
         */
        public Builder keepBindings(List<String> types) {
            keepBindings.addAll(types);
            return this;
        }

        /** Annotations {@code workers/message} (up to 100 chars) and {@code workers/tag} (up to 25). */
        public Builder annotations(String message, String tag) {
            this.message = message;
            this.tag = tag;
            return this;
        }

        /** Static assets to upload first; bind them with {@link Binding.Assets} to read them from the Worker. */
        public Builder assets(StaticAssets staticAssets) {
            this.assets = staticAssets;
            return this;
        }

        public WorkerUpload build() {
            return new WorkerUpload(this);
        }
    }
}

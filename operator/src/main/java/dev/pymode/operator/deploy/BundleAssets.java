package dev.pymode.operator.deploy;

import java.util.Map;
import java.util.Optional;
import java.util.regex.Pattern;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.pymode.cloudflare.StaticAssets;

/**
 * Reads a bundle's static assets (bundle.json {@code assets}, issue #13): every file under {@code directory} is one
 * asset at {@code /} + its path below it, bound as {@code binding}, with {@code config} sent as the upload's
 * {@code assets.config}. The declared {@code files} and {@code size} must match what the bundle holds.
 */
public final class BundleAssets {

    /** The reason of a bundle whose assets cannot be deployed. */
    public static final String INVALID = "InvalidBundleAssets";

    private static final Pattern BINDING = Pattern.compile("[A-Za-z_][A-Za-z0-9_]*");

    /** A bundle's assets and the name they are bound as. */
    public record Assets(String binding, StaticAssets files) {
    }

    private BundleAssets() {
    }

    /** Empty for a bundle without {@code assets}; {@link InvalidDeployInputException} for one whose are wrong. */
    public static Optional<Assets> read(BundleStore.Bundle bundle) {
        JsonNode declared = bundle.manifest().path("assets");
        if (declared.isMissingNode() || declared.isNull()) {
            return Optional.empty();
        }
        if (!declared.isObject()) {
            throw invalid(bundle, "assets must be an object");
        }
        String directory = declared.path("directory").asText("");
        if (directory.isEmpty() || directory.startsWith("/") || directory.contains("\\")
                || ("/" + directory + "/").contains("/../") || ("/" + directory + "/").contains("/./")) {
            throw invalid(bundle, "assets.directory must be a relative path inside the bundle without '.' or '..', not '"
                    + directory + "'");
        }
        String prefix = directory.endsWith("/") ? directory : directory + "/";
        String binding = declared.path("binding").asText("");
        if (!BINDING.matcher(binding).matches()) {
            throw invalid(bundle, "assets.binding must be a binding name (letters, digits, '_'), not '" + binding + "'");
        }
        JsonNode config = declared.path("config");
        if (!config.isMissingNode() && !config.isObject()) {
            throw invalid(bundle, "assets.config must be an object");
        }
        StaticAssets.Builder files = StaticAssets.builder();
        if (config.isObject()) {
            files.config((ObjectNode) config);
        }
        int count = 0;
        long size = 0;
        for (Map.Entry<String, byte[]> file : bundle.files().entrySet()) {
            if (!file.getKey().startsWith(prefix)) {
                continue;
            }
            try {
                files.file("/" + file.getKey().substring(prefix.length()), file.getValue());
            } catch (IllegalArgumentException e) {
                throw invalid(bundle, e.getMessage());
            }
            count++;
            size += file.getValue().length;
        }
        if (count == 0) {
            throw invalid(bundle, "assets.directory '" + directory + "' holds no file");
        }
        check(bundle, declared, "files", count);
        check(bundle, declared, "size", size);
        return Optional.of(new Assets(binding, files.build()));
    }

    private static void check(BundleStore.Bundle bundle, JsonNode declared, String field, long found) {
        JsonNode value = declared.get(field);
        if (value != null && !value.isNull() && (!value.canConvertToLong() || value.asLong() != found)) {
            throw invalid(bundle, "assets." + field + " says " + value + " but the bundle holds " + found
                    + (field.equals("size") ? " bytes" : " files") + " under assets.directory");
        }
    }

    private static InvalidDeployInputException invalid(BundleStore.Bundle bundle, String problem) {
        return new InvalidDeployInputException(INVALID, "bundle " + bundle.digest() + ": " + problem);
    }
}

package dev.pymode.operator.source;

import java.nio.charset.StandardCharsets;
import java.util.Optional;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

import dev.pymode.operator.status.ConditionTypes;
import dev.pymode.operator.status.StageResult;

/**
 * Finds the entry module: {@code spec.entry}, else {@code [tool.pymode] main} in pyproject.toml, else
 * {@code src/entry.py}; and checks the project really contains it.
 */
public final class EntryLocator {

    public static final String DEFAULT_ENTRY = "src/entry.py";

    private static final Pattern SECTION = Pattern.compile("^\\s*\\[([^\\]]+)]\\s*(#.*)?$");
    private static final Pattern MAIN = Pattern.compile("^\\s*main\\s*=\\s*[\"']([^\"']+)[\"']\\s*(#.*)?$");

    private EntryLocator() {
    }

    /** Outcome of locating: the stage result, and the entry path when found. */
    public record Located(StageResult stage, String entry) {
    }

    public static Located locate(String specEntry, ProjectSource source) {
        String entry = specEntry != null && !specEntry.isEmpty() ? specEntry
                : pyprojectMain(source).orElse(DEFAULT_ENTRY);
        if (!ProjectPaths.isSafeRelative(entry)) {
            return new Located(StageResult.terminalFailure(ConditionTypes.SOURCE_READY, "InvalidEntry",
                    "entry '" + entry + "' must be a relative path without '..'"), null);
        }
        if (!source.files().containsKey(entry)) {
            return new Located(StageResult.terminalFailure(ConditionTypes.SOURCE_READY, "EntryNotFound",
                    "entry module '" + entry + "' is not in the project (files: "
                            + String.join(", ", source.files().keySet().stream().limit(20).toList()) + ")"), null);
        }
        return new Located(null, entry);
    }

    /** Reads {@code main} from the {@code [tool.pymode]} table; only the plain key = "string" form is supported. */
    static Optional<String> pyprojectMain(ProjectSource source) {
        byte[] pyproject = source.files().get("pyproject.toml");
        if (pyproject == null) {
            return Optional.empty();
        }
        boolean inTable = false;
        for (String line : new String(pyproject, StandardCharsets.UTF_8).split("\\R")) {
            Matcher section = SECTION.matcher(line);
            if (section.matches()) {
                inTable = section.group(1).trim().equals("tool.pymode");
                continue;
            }
            Matcher main = MAIN.matcher(line);
            if (inTable && main.matches()) {
                return Optional.of(main.group(1));
            }
        }
        return Optional.empty();
    }
}

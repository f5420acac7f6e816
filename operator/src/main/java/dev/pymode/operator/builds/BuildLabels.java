package dev.pymode.operator.builds;

import java.util.Map;

/** Labels on builds; also how executors find the builds of an owner. */
public final class BuildLabels {

    public static final String MANAGED_BY = "app.kubernetes.io/managed-by";
    public static final String OPERATOR = "pymode-operator";
    public static final String OWNER_KIND = "pymode.dev/owner-kind";
    public static final String OWNER_NAME = "pymode.dev/owner-name";
    /** Label values are limited to 63 characters, so the key is shortened here (the full key is an annotation). */
    public static final String BUILD_KEY = "pymode.dev/build-key";

    private BuildLabels() {
    }

    public static Map<String, String> of(String ownerKind, String ownerName, String buildKeyHash) {
        return Map.of(MANAGED_BY, OPERATOR, OWNER_KIND, ownerKind.toLowerCase(), OWNER_NAME, ownerName,
                BUILD_KEY, buildKeyHash.substring(0, 40));
    }
}

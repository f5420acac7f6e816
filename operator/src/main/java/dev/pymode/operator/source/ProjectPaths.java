package dev.pymode.operator.source;

import java.util.Arrays;

/** Rules for paths inside a project, checked wherever a path enters from outside. */
public final class ProjectPaths {

    private ProjectPaths() {
    }

    /** True for a relative, '/'-separated path with no empty, '.' or '..' segment. */
    public static boolean isSafeRelative(String path) {
        if (path == null || path.isEmpty() || path.startsWith("/") || path.contains("\\")) {
            return false;
        }
        return Arrays.stream(path.split("/", -1)).noneMatch(s -> s.isEmpty() || s.equals(".") || s.equals(".."));
    }
}

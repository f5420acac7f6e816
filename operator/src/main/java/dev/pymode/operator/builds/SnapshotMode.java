package dev.pymode.operator.builds;

/**
 * Whether a worker bundle carries a Wizer snapshot of its loaded entry (spec.wizer): {@code true} insists on one
 * (the build fails when the entry imports a C extension or calls the host while it loads, which no snapshot can
 * hold), {@code false} goes without, and unset ({@code null}) takes one whenever it can be made.
 */
public enum SnapshotMode {
    OFF, AUTO, ON;

    public static SnapshotMode of(Boolean wizer) {
        return wizer == null ? AUTO : wizer ? ON : OFF;
    }

    /**
     * The value in the build key. {@code true} and {@code false} are what the key held when the field was a boolean
     * defaulting to false, so workers that set it (or were defaulted to false) keep their keys and do not rebuild.
     */
    Object keyValue() {
        return switch (this) {
            case OFF -> Boolean.FALSE;
            case ON -> Boolean.TRUE;
            case AUTO -> "auto";
        };
    }

    /** pymode_build.py's argument, or null for none (its default is off). */
    String builderArgument() {
        return switch (this) {
            case OFF -> null;
            case ON -> "--wizer=on";
            case AUTO -> "--wizer=auto";
        };
    }
}

package dev.pymode.operator.source;

/** Digests computed independently (Python: sha256 over big-endian u64 length + bytes, path then content). */
final class ProjectSourceTestVectors {
    static final String ENTRY_PRINT_1 = "32ac85889b07b6fdcafb9df0642c7e9d48c6a6ee505b32d65684c9438fd9e353";

    private ProjectSourceTestVectors() {
    }
}

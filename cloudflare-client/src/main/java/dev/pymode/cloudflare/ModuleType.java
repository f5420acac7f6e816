package dev.pymode.cloudflare;

/** Kinds of worker modules and the part Content-Type wrangler gives each in the upload form. */
public enum ModuleType {
    ESM("application/javascript+module"),
    COMMONJS("application/javascript"),
    COMPILED_WASM("application/wasm"),
    /** raw bytes, imported as an ArrayBuffer (e.g. the Python stdlib zip, snapshots) */
    DATA("application/octet-stream"),
    TEXT("text/plain"),
    /**
     * A JSON module. Wrangler has no such module type and the trimmed OpenAPI file's list of part types does
     * not name it, so prefer {@link #TEXT} and parse in JavaScript unless a JSON import is really needed.
     */
    JSON("application/json"),
    SOURCE_MAP("application/source-map");

    private final String mimeType;

    ModuleType(String mimeType) {
        this.mimeType = mimeType;
    }

    public String mimeType() {
        return mimeType;
    }
}

package dev.pymode.cloudflare;

import java.util.Arrays;
import java.util.Objects;

/**
 * One module of a worker upload: its part name (also the import specifier other modules use), its kind and
 * its bytes. The bytes are not copied; do not change the array after handing it over.
 */
public record WorkerModule(String name, ModuleType type, byte[] content) {

    public WorkerModule {
        Objects.requireNonNull(name, "name");
        Objects.requireNonNull(type, "type");
        Objects.requireNonNull(content, "content");
        if (name.isEmpty()) {
            throw new IllegalArgumentException("module name must not be empty");
        }
    }

    @Override
    public String toString() {
        return "WorkerModule[" + name + ", " + type.mimeType() + ", " + content.length + " B]";
    }

    @Override
    public boolean equals(Object o) {
        return o instanceof WorkerModule m && m.name.equals(name) && m.type == type
                && Arrays.equals(m.content, content);
    }

    @Override
    public int hashCode() {
        return Objects.hash(name, type, Arrays.hashCode(content));
    }
}

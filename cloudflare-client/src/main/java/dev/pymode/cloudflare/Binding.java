package dev.pymode.cloudflare;

import java.util.Objects;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.JsonNodeFactory;
import com.fasterxml.jackson.databind.node.ObjectNode;

/**
 * A worker binding as it appears in upload metadata and in script settings. Written as wrangler writes it:
 * {@code name}, {@code type}, then the kind's fields. Read back from settings for drift detection, where
 * Cloudflare omits secret values (so {@link SecretText#text()} is then null).
 */
public sealed interface Binding {

    String name();

    /** Cloudflare's {@code type} string. */
    String type();

    /** The JSON object for upload metadata / settings. */
    ObjectNode toJson();

    /** Parses one item of a settings {@code bindings} array; unknown kinds become {@link Other}. */
    static Binding fromJson(JsonNode json) {
        String name = json.path("name").asText();
        String type = json.path("type").asText();
        return switch (type) {
            case "kv_namespace" -> new KvNamespace(name, json.path("namespace_id").asText());
            case "r2_bucket" -> new R2Bucket(name, json.path("bucket_name").asText(), text(json, "jurisdiction"));
            case "d1" -> new D1(name, json.path("id").asText());
            case "durable_object_namespace" -> new DurableObjectNamespace(name, text(json, "class_name"),
                    text(json, "script_name"));
            case "plain_text" -> new PlainText(name, json.path("text").asText());
            case "secret_text" -> new SecretText(name, text(json, "text"));
            case "queue" -> new Queue(name, json.path("queue_name").asText());
            case "service" -> new Service(name, json.path("service").asText(), text(json, "entrypoint"));
            case "assets" -> new Assets(name);
            default -> new Other(name, type, json.deepCopy());
        };
    }

    private static String text(JsonNode json, String field) {
        return json.hasNonNull(field) ? json.get(field).asText() : null;
    }

    private static ObjectNode head(Binding binding) {
        return JsonNodeFactory.instance.objectNode().put("name", binding.name()).put("type", binding.type());
    }

    record KvNamespace(String name, String namespaceId) implements Binding {
        public String type() {
            return "kv_namespace";
        }

        public ObjectNode toJson() {
            return head(this).put("namespace_id", namespaceId);
        }
    }

    /** @param jurisdiction {@code eu}, {@code fedramp}, … or null for the default */
    record R2Bucket(String name, String bucketName, String jurisdiction) implements Binding {
        public R2Bucket(String name, String bucketName) {
            this(name, bucketName, null);
        }

        public String type() {
            return "r2_bucket";
        }

        public ObjectNode toJson() {
            ObjectNode json = head(this).put("bucket_name", bucketName);
            return jurisdiction == null ? json : json.put("jurisdiction", jurisdiction);
        }
    }

    /** @param databaseId the D1 database's uuid (the API calls the field {@code id}) */
    record D1(String name, String databaseId) implements Binding {
        public String type() {
            return "d1";
        }

        public ObjectNode toJson() {
            return head(this).put("id", databaseId);
        }
    }

    /** @param scriptName the script defining the class when it is another worker; null for this one */
    record DurableObjectNamespace(String name, String className, String scriptName) implements Binding {
        public DurableObjectNamespace(String name, String className) {
            this(name, className, null);
        }

        public String type() {
            return "durable_object_namespace";
        }

        public ObjectNode toJson() {
            ObjectNode json = head(this).put("class_name", className);
            return scriptName == null ? json : json.put("script_name", scriptName);
        }
    }

    /** A queue producer binding: {@code queueName} is the queue's name (not its id). */
    record Queue(String name, String queueName) implements Binding {
        public String type() {
            return "queue";
        }

        public ObjectNode toJson() {
            return head(this).put("queue_name", queueName);
        }
    }

    /** A service binding to another Worker script; {@code entrypoint} a named entrypoint class, or null. */
    record Service(String name, String service, String entrypoint) implements Binding {
        public String type() {
            return "service";
        }

        public ObjectNode toJson() {
            ObjectNode json = head(this).put("service", service);
            return entrypoint == null ? json : json.put("entrypoint", entrypoint);
        }
    }

    /** The Worker's static assets ({@link WorkerUpload.Builder#assets}), read with {@code env.NAME.fetch(url)}. */
    record Assets(String name) implements Binding {
        public String type() {
            return "assets";
        }

        public ObjectNode toJson() {
            return head(this);
        }
    }

    record PlainText(String name, String text) implements Binding {
        public String type() {
            return "plain_text";
        }

        public ObjectNode toJson() {
            return head(this).put("text", text);
        }
    }

    /** @param text the secret; null when read back from Cloudflare, which never returns it */
    record SecretText(String name, String text) implements Binding {
        public String type() {
            return "secret_text";
        }

        public ObjectNode toJson() {
            ObjectNode json = head(this);
            return text == null ? json : json.put("text", text);
        }

        @Override
        public String toString() {
            return "SecretText[name=" + name + ", text=" + (text == null ? "absent" : "<redacted>") + "]";
        }

        @Override
        public boolean equals(Object o) {
            return o instanceof SecretText s && s.name.equals(name) && Objects.equals(s.text, text);
        }

        @Override
        public int hashCode() {
            return name.hashCode();
        }
    }

    /** Any kind this client does not model, kept whole so drift checks and re-uploads do not lose it. */
    record Other(String name, String type, JsonNode json) implements Binding {
        public ObjectNode toJson() {
            return json.isObject() ? ((ObjectNode) json).deepCopy() : head(this);
        }

        @Override
        public String toString() {
            // the JSON may hold key material (secret_key and the like)
            return "Other[name=" + name + ", type=" + type + "]";
        }
    }
}

package dev.pymode.cloudflare;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.Iterator;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.regex.Pattern;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;

/**
 * Checks a request against the trimmed Cloudflare OpenAPI file: the path and method exist, query parameters
 * are declared (with their enums), and bodies match the schema. Hand-rolled for the subset the file uses:
 * {@code $ref}, {@code allOf}, {@code oneOf}/{@code anyOf} (with a discriminator when given), {@code type},
 * {@code nullable}, {@code enum}, {@code required} (minus {@code readOnly} properties, which requests omit),
 * {@code properties}, {@code items}, {@code minimum}/{@code maximum}, {@code minLength}/{@code maxLength},
 * {@code pattern}. Multipart bodies: schema-described parts (metadata, settings) are parsed as JSON and
 * validated; every other part is a module whose Content-Type must be one the encoding lists.
 *
 * <p>Lenient where OpenAPI 3.0 is ambiguous: a {@code oneOf} without discriminator passes when any branch
 * does (the migrations schemas overlap, so "exactly one" would reject every valid upload), and an empty
 * schema ({@code DELETE} scripts declares a required but empty JSON body) accepts no body.
 */
final class OpenApiRequestValidator {

    private final JsonNode spec;
    private final String basePath;
    private final ObjectMapper mapper = new ObjectMapper();

    OpenApiRequestValidator(JsonNode spec, String basePath) {
        this.spec = spec;
        this.basePath = basePath;
    }

    /** The path template the file declares for a concrete path, if any. */
    Optional<String> template(String path) {
        String[] segments = path.substring(1).split("/");
        String best = null;
        int bestLiterals = -1;
        for (Iterator<String> it = spec.path("paths").fieldNames(); it.hasNext(); ) {
            String template = it.next();
            String[] parts = template.substring(1).split("/");
            if (parts.length != segments.length) {
                continue;
            }
            int literals = 0;
            boolean match = true;
            for (int i = 0; i < parts.length && match; i++) {
                if (parts[i].startsWith("{")) {
                    match = !segments[i].isEmpty();
                } else {
                    match = parts[i].equals(segments[i]);
                    literals++;
                }
            }
            if (match && literals > bestLiterals) {
                best = template;
                bestLiterals = literals;
            }
        }
        return Optional.ofNullable(best);
    }

    /** @return what is wrong; empty when the request conforms */
    List<String> validate(String method, String encodedPath, Map<String, List<String>> query, String contentType,
            byte[] body) {
        List<String> problems = new ArrayList<>();
        String path = encodedPath.substring(basePath.length());
        Optional<String> template = template(path);
        if (template.isEmpty()) {
            problems.add("no path in the OpenAPI file matches " + path);
            return problems;
        }
        JsonNode operation = spec.path("paths").path(template.get()).path(method.toLowerCase());
        if (operation.isMissingNode()) {
            problems.add(method + " " + template.get() + " is not an operation of the OpenAPI file");
            return problems;
        }
        checkQuery(operation, query, problems);
        checkBody(operation, contentType, body, problems);
        // overlapping allOf branches can report the same problem twice
        return List.copyOf(new java.util.LinkedHashSet<>(problems));
    }

    private void checkQuery(JsonNode operation, Map<String, List<String>> query, List<String> problems) {
        for (JsonNode p : operation.path("parameters")) {
            JsonNode param = resolve(p);
            if (param.path("in").asText().equals("query") && param.path("required").asBoolean()
                    && !query.containsKey(param.path("name").asText())) {
                problems.add("required query parameter " + param.path("name").asText() + " missing");
            }
        }
        query.forEach((name, values) -> {
            JsonNode declared = null;
            for (JsonNode p : operation.path("parameters")) {
                JsonNode param = resolve(p);
                if (param.path("in").asText().equals("query") && param.path("name").asText().equals(name)) {
                    declared = param;
                }
            }
            if (declared == null) {
                problems.add("query parameter " + name + " is not declared");
                return;
            }
            for (String value : values) {
                validateScalar(declared.path("schema"), value, "query " + name, problems);
            }
        });
    }

    private void checkBody(JsonNode operation, String contentType, byte[] body, List<String> problems) {
        JsonNode requestBody = resolve(operation.path("requestBody"));
        boolean hasBody = body != null && body.length > 0;
        if (requestBody.isMissingNode()) {
            if (hasBody) {
                problems.add("the operation takes no body but one was sent");
            }
            return;
        }
        if (!hasBody) {
            boolean emptySchemaOnly = true;
            for (JsonNode media : requestBody.path("content")) {
                emptySchemaOnly &= media.path("schema").isMissingNode() || media.path("schema").isEmpty();
            }
            if (requestBody.path("required").asBoolean() && !emptySchemaOnly) {
                problems.add("a body is required");
            }
            return;
        }
        String mediaType = contentType == null ? "" : contentType.split(";")[0].trim();
        JsonNode media = requestBody.path("content").path(mediaType);
        if (media.isMissingNode()) {
            problems.add("content type " + mediaType + " is not accepted (accepted: "
                    + requestBody.path("content").properties().stream().map(Map.Entry::getKey).toList() + ")");
            return;
        }
        if (mediaType.equals("application/json")) {
            try {
                validate(media.path("schema"), mapper.readTree(body), "body", problems);
            } catch (IOException e) {
                problems.add("body is not JSON: " + e.getMessage());
            }
        } else if (mediaType.equals("multipart/form-data")) {
            checkMultipart(media, contentType, body, problems);
        }
    }

    private void checkMultipart(JsonNode media, String contentType, byte[] body, List<String> problems) {
        String boundary = contentType.substring(contentType.indexOf("boundary=") + "boundary=".length());
        JsonNode schema = merged(media.path("schema"));
        List<String> fileTypes = Arrays.stream(media.path("encoding").path("files").path("contentType").asText()
                .split(",")).map(t -> t.replace("`", "").trim()).filter(t -> !t.isEmpty()).toList();
        List<String> partNames = new ArrayList<>();
        for (MultipartPart part : MultipartPart.parse(body, boundary)) {
            partNames.add(part.name());
            JsonNode partSchema = schema.path("properties").path(part.name());
            if (!partSchema.isMissingNode() && !part.name().equals("files")) {
                try {
                    validate(partSchema, mapper.readTree(part.content()), part.name(), problems);
                } catch (IOException e) {
                    problems.add("part " + part.name() + " is not JSON");
                }
            } else if ("*/*".equals(media.path("encoding").path("*").path("contentType").asText())
                    && "string".equals(schema.path("additionalProperties").path("type").asText())) {
                // one string part per name, any Content-Type (the assets upload: base64 contents by hash)
                if (!new String(part.content(), java.nio.charset.StandardCharsets.ISO_8859_1)
                        .matches("[A-Za-z0-9+/]*={0,2}")) {
                    problems.add("part " + part.name() + " is not base64");
                }
            } else if (!fileTypes.contains(part.contentType())) {
                problems.add("module part " + part.name() + " has Content-Type " + part.contentType()
                        + ", not one of " + fileTypes);
            }
        }
        for (JsonNode required : schema.path("required")) {
            if (!partNames.contains(required.asText())) {
                problems.add("multipart part " + required.asText() + " is required");
            }
        }
    }

    /** Merges allOf branches (properties and required) so multipart part schemas can be looked up by name. */
    private JsonNode merged(JsonNode schema) {
        JsonNode s = resolve(schema);
        if (!s.has("allOf")) {
            return s;
        }
        com.fasterxml.jackson.databind.node.ObjectNode out = mapper.createObjectNode();
        com.fasterxml.jackson.databind.node.ObjectNode props = out.putObject("properties");
        com.fasterxml.jackson.databind.node.ArrayNode required = out.putArray("required");
        for (JsonNode branch : s.get("allOf")) {
            JsonNode b = merged(branch);
            b.path("properties").properties().forEach(e -> {
                if (props.has(e.getKey())) {
                    // keep both constraints: validate the part against each
                    props.set(e.getKey(), mapper.createObjectNode().set("allOf",
                            mapper.createArrayNode().add(props.get(e.getKey())).add(e.getValue())));
                } else {
                    props.set(e.getKey(), e.getValue());
                }
            });
            b.path("required").forEach(required::add);
        }
        return out;
    }

    private JsonNode resolve(JsonNode node) {
        JsonNode current = node;
        while (current.has("$ref")) {
            String ref = current.get("$ref").asText();
            current = spec.at(ref.substring(1));
            if (current.isMissingNode()) {
                throw new IllegalStateException("unresolvable " + ref);
            }
        }
        return current;
    }

    void validate(JsonNode schemaNode, JsonNode value, String where, List<String> problems) {
        JsonNode schema = resolve(schemaNode);
        for (JsonNode branch : schema.path("allOf")) {
            validate(branch, value, where, problems);
        }
        for (String combinator : List.of("oneOf", "anyOf")) {
            if (schema.has(combinator)) {
                validateAlternatives(schema, schema.get(combinator), value, where, problems);
            }
        }
        if (value.isNull()) {
            if (!schema.path("nullable").asBoolean() && schema.has("type")) {
                problems.add(where + " is null");
            }
            return;
        }
        String type = schema.path("type").asText("");
        if (!type.isEmpty() && !hasType(value, type)) {
            problems.add(where + " should be " + type + " but is " + value.getNodeType());
            return;
        }
        if (schema.has("enum")) {
            boolean listed = false;
            for (JsonNode allowed : schema.get("enum")) {
                listed |= allowed.equals(value) || (allowed.isNumber() && value.isNumber()
                        && allowed.decimalValue().compareTo(value.decimalValue()) == 0);
            }
            if (!listed) {
                problems.add(where + " = " + value + " is not in " + schema.get("enum"));
            }
        }
        if (value.isTextual()) {
            stringConstraints(schema, value.asText(), where, problems);
        }
        if (value.isNumber()) {
            if (schema.has("minimum") && value.asDouble() < schema.get("minimum").asDouble()) {
                problems.add(where + " = " + value + " is below " + schema.get("minimum"));
            }
            if (schema.has("maximum") && value.asDouble() > schema.get("maximum").asDouble()) {
                problems.add(where + " = " + value + " is above " + schema.get("maximum"));
            }
        }
        if (value.isObject()) {
            for (JsonNode required : schema.path("required")) {
                String name = required.asText();
                JsonNode property = schema.path("properties").path(name);
                if (!value.has(name) && !readOnly(property)) {
                    problems.add(where + " lacks required " + name);
                }
            }
            value.properties().forEach(e -> {
                JsonNode property = schema.path("properties").path(e.getKey());
                if (!property.isMissingNode()) {
                    validate(property, e.getValue(), where + "." + e.getKey(), problems);
                }
            });
        }
        if (value.isArray() && schema.has("items")) {
            for (int i = 0; i < value.size(); i++) {
                validate(schema.get("items"), value.get(i), where + "[" + i + "]", problems);
            }
        }
    }

    private void validateAlternatives(JsonNode schema, JsonNode branches, JsonNode value, String where,
            List<String> problems) {
        JsonNode discriminator = schema.path("discriminator");
        if (discriminator.has("propertyName") && value.isObject()) {
            String tag = value.path(discriminator.get("propertyName").asText()).asText(null);
            JsonNode target = discriminator.path("mapping").path(tag == null ? "" : tag);
            if (target.isMissingNode()) {
                problems.add(where + " has unknown " + discriminator.get("propertyName").asText() + " " + tag);
            } else {
                validate(mapper.createObjectNode().put("$ref", target.asText()), value, where + "<" + tag + ">",
                        problems);
            }
            return;
        }
        List<String> firstFailure = null;
        for (JsonNode branch : branches) {
            List<String> attempt = new ArrayList<>();
            validate(branch, value, where, attempt);
            if (attempt.isEmpty()) {
                return;
            }
            if (firstFailure == null) {
                firstFailure = attempt;
            }
        }
        problems.add(where + " matches no alternative, e.g. " + firstFailure);
    }

    private void validateScalar(JsonNode schemaNode, String text, String where, List<String> problems) {
        JsonNode schema = resolve(schemaNode);
        for (JsonNode branch : schema.path("allOf")) {
            validateScalar(branch, text, where, problems);
        }
        if (schema.has("enum") && schema.path("type").asText().equals("string")) {
            boolean listed = false;
            for (JsonNode allowed : schema.get("enum")) {
                listed |= allowed.asText().equals(text);
            }
            if (!listed) {
                problems.add(where + " = " + text + " is not in " + schema.get("enum"));
            }
        }
        stringConstraints(schema, text, where, problems);
        String type = schema.path("type").asText("");
        if ((type.equals("integer") || type.equals("number")) && !text.matches("-?\\d+(\\.\\d+)?")) {
            problems.add(where + " = " + text + " is not a " + type);
        }
        if (type.equals("boolean") && !text.equals("true") && !text.equals("false")) {
            problems.add(where + " = " + text + " is not a boolean");
        }
    }

    private static void stringConstraints(JsonNode schema, String text, String where, List<String> problems) {
        if (schema.has("maxLength") && text.length() > schema.get("maxLength").asInt()) {
            problems.add(where + " is longer than " + schema.get("maxLength"));
        }
        if (schema.has("minLength") && text.length() < schema.get("minLength").asInt()) {
            problems.add(where + " is shorter than " + schema.get("minLength"));
        }
        if (schema.has("pattern") && !Pattern.compile(schema.get("pattern").asText()).matcher(text).find()) {
            problems.add(where + " = " + text + " does not match " + schema.get("pattern"));
        }
    }

    private boolean readOnly(JsonNode property) {
        JsonNode p = resolve(property);
        if (p.path("readOnly").asBoolean()) {
            return true;
        }
        for (JsonNode branch : p.path("allOf")) {
            if (readOnly(branch)) {
                return true;
            }
        }
        return false;
    }

    private static boolean hasType(JsonNode value, String type) {
        return switch (type) {
            case "object" -> value.isObject();
            case "array" -> value.isArray();
            case "string" -> value.isTextual();
            case "integer" -> value.isIntegralNumber();
            case "number" -> value.isNumber();
            case "boolean" -> value.isBoolean();
            default -> true;
        };
    }

    /** One part of a multipart/form-data body. */
    record MultipartPart(String name, String filename, String contentType, byte[] content) {

        static List<MultipartPart> parse(byte[] body, String boundary) {
            // ISO-8859-1 maps bytes 1:1 to chars, so binary parts survive the round trip
            String text = new String(body, StandardCharsets.ISO_8859_1);
            String delimiter = "--" + boundary;
            if (!text.endsWith(delimiter + "--\r\n")) {
                throw new IllegalArgumentException("multipart body does not end with the closing boundary");
            }
            List<MultipartPart> parts = new ArrayList<>();
            String[] chunks = text.substring(0, text.length() - (delimiter + "--\r\n").length())
                    .split(Pattern.quote(delimiter + "\r\n"), -1);
            for (String chunk : chunks) {
                if (chunk.isEmpty()) {
                    continue;
                }
                int headerEnd = chunk.indexOf("\r\n\r\n");
                String headers = chunk.substring(0, headerEnd);
                String content = chunk.substring(headerEnd + 4, chunk.length() - 2);
                if (!chunk.endsWith("\r\n")) {
                    throw new IllegalArgumentException("part does not end in CRLF");
                }
                String name = null;
                String filename = null;
                String type = null;
                for (String header : headers.split("\r\n")) {
                    if (header.startsWith("Content-Disposition: form-data; name=\"")) {
                        var m = Pattern.compile("name=\"([^\"]*)\"(; filename=\"([^\"]*)\")?").matcher(header);
                        if (m.find()) {
                            name = m.group(1);
                            filename = m.group(3);
                        }
                    } else if (header.startsWith("Content-Type: ")) {
                        type = header.substring("Content-Type: ".length());
                    } else {
                        throw new IllegalArgumentException("unexpected part header " + header);
                    }
                }
                parts.add(new MultipartPart(name, filename, type, content.getBytes(StandardCharsets.ISO_8859_1)));
            }
            return parts;
        }
    }
}

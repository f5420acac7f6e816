package dev.pymode.cloudflare;

import java.io.ByteArrayOutputStream;
import java.nio.charset.StandardCharsets;
import java.security.SecureRandom;
import java.util.ArrayList;
import java.util.HexFormat;
import java.util.List;

import okhttp3.MediaType;
import okhttp3.RequestBody;

/**
 * A {@code multipart/form-data} body laid out byte for byte like wrangler's (undici's FormData encoder): a
 * string field has only a Content-Disposition line, a file part adds {@code filename} and Content-Type, every
 * part ends in CRLF and the body ends with {@code --boundary--} CRLF. OkHttp's own MultipartBody adds a
 * Content-Length header per part, which wrangler never sends, hence this class.
 */
final class MultipartForm {

    private static final SecureRandom RANDOM = new SecureRandom();

    private record Part(String name, String filename, String contentType, byte[] content) {
    }

    private final List<Part> parts = new ArrayList<>();

    /** A plain field (wrangler sends {@code metadata} this way: no filename, no Content-Type). */
    MultipartForm field(String name, String value) {
        // undici normalises line breaks of string values to CRLF
        parts.add(new Part(name, null, null, normaliseLineBreaks(value).getBytes(StandardCharsets.UTF_8)));
        return this;
    }

    MultipartForm file(String name, String filename, String contentType, byte[] content) {
        parts.add(new Part(name, filename, contentType, content));
        return this;
    }

    /** A boundary shaped like undici's, checked not to occur inside any part. */
    String newBoundary() {
        while (true) {
            byte[] random = new byte[12];
            RANDOM.nextBytes(random);
            String boundary = "----formdata-pymode-" + HexFormat.of().formatHex(random);
            if (parts.stream().noneMatch(p -> contains(p.content(), boundary.getBytes(StandardCharsets.US_ASCII)))) {
                return boundary;
            }
        }
    }

    byte[] encode(String boundary) {
        ByteArrayOutputStream out = new ByteArrayOutputStream();
        for (Part part : parts) {
            StringBuilder head = new StringBuilder()
                    .append("--").append(boundary).append("\r\n")
                    .append("Content-Disposition: form-data; name=\"").append(escape(normaliseLineBreaks(part.name()))).append('"');
            if (part.filename() != null) {
                head.append("; filename=\"").append(escape(part.filename())).append('"');
            }
            head.append("\r\n");
            if (part.contentType() != null) {
                head.append("Content-Type: ").append(part.contentType()).append("\r\n");
            }
            head.append("\r\n");
            out.writeBytes(head.toString().getBytes(StandardCharsets.UTF_8));
            out.writeBytes(part.content());
            out.writeBytes(new byte[] {'\r', '\n'});
        }
        out.writeBytes(("--" + boundary + "--\r\n").getBytes(StandardCharsets.UTF_8));
        return out.toByteArray();
    }

    RequestBody toRequestBody() {
        return toRequestBody(newBoundary());
    }

    RequestBody toRequestBody(String boundary) {
        return RequestBody.create(encode(boundary), MediaType.get("multipart/form-data; boundary=" + boundary));
    }

    private static String normaliseLineBreaks(String value) {
        return value.replaceAll("\r?\n|\r", "\r\n");
    }

    /** undici escapes names (after normalising their line breaks) and filenames (as they are). */
    private static String escape(String value) {
        return value.replace("\n", "%0A").replace("\r", "%0D").replace("\"", "%22");
    }

    private static boolean contains(byte[] haystack, byte[] needle) {
        outer:
        for (int i = 0; i + needle.length <= haystack.length; i++) {
            for (int j = 0; j < needle.length; j++) {
                if (haystack[i + j] != needle[j]) {
                    continue outer;
                }
            }
            return true;
        }
        return false;
    }

    @Override
    public String toString() {
        // part contents are never shown: the metadata part holds secret_text values
        return "MultipartForm" + parts.stream().map(p -> p.name() + "(" + p.content().length + " B)").toList();
    }
}

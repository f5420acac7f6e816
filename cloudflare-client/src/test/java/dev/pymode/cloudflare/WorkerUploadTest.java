package dev.pymode.cloudflare;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.nio.charset.StandardCharsets;
import java.util.List;
import java.util.Optional;

import org.junit.jupiter.api.Test;

class WorkerUploadTest {

    static final String WASM_NAME = "./4702d7c52347ede42f74bd4e3897696e6d1396c0-hello.wasm";
    static final byte[] WASM = {0x00, 0x61, 0x73, 0x6d, 0x01, 0x00, 0x00, 0x00};

    /** The DO+KV+R2+D1+vars+secret worker of npm-workerd.md §6b (its assets binding left out). */
    static WorkerUpload.Builder probeWorker() {
        return WorkerUpload.builder("index.js")
                .module(WASM_NAME, ModuleType.COMPILED_WASM, WASM)
                .module("index.js", ModuleType.ESM, "export default {}".getBytes(StandardCharsets.UTF_8))
                .binding(new Binding.PlainText("PLAIN_VAR", "hello"))
                .binding(new Binding.SecretText("MY_SECRET", "s3cret"))
                .binding(new Binding.KvNamespace("MY_KV", "0123456789abcdef0123456789abcdef"))
                .binding(new Binding.DurableObjectNamespace("MY_DO", "Counter"))
                .binding(new Binding.R2Bucket("MY_R2", "probe-bucket"))
                .binding(new Binding.D1("MY_DB", "00000000-0000-0000-0000-000000000001"))
                .compatibilityDate("2025-04-01")
                .compatibilityFlags(List.of("nodejs_compat"))
                .migrations(List.of(MigrationStep.newSqliteClasses("v1", "Counter")))
                .keepBindings(List.of("secret_text", "secret_key"))
                .annotations("probe msg", "probe-tag");
    }

    @Test
    void metadataMatchesWhatWranglerSentForTheSameWorker() {
        WorkerUpload upload = probeWorker().build();
        String metadata = upload.metadata(Migrations.toUpload(upload.migrations(), null)).toString();
        // §6b, byte for byte, without the "ASSETS" binding and the "assets" key (no static assets here)
        assertThat(metadata).isEqualTo("{\"main_module\":\"index.js\","
                + "\"bindings\":[{\"name\":\"PLAIN_VAR\",\"type\":\"plain_text\",\"text\":\"hello\"},"
                + "{\"name\":\"MY_SECRET\",\"type\":\"secret_text\",\"text\":\"s3cret\"},"
                + "{\"name\":\"MY_KV\",\"type\":\"kv_namespace\",\"namespace_id\":\"0123456789abcdef0123456789abcdef\"},"
                + "{\"name\":\"MY_DO\",\"type\":\"durable_object_namespace\",\"class_name\":\"Counter\"},"
                + "{\"name\":\"MY_R2\",\"type\":\"r2_bucket\",\"bucket_name\":\"probe-bucket\"},"
                + "{\"name\":\"MY_DB\",\"type\":\"d1\",\"id\":\"00000000-0000-0000-0000-000000000001\"}],"
                + "\"compatibility_date\":\"2025-04-01\",\"compatibility_flags\":[\"nodejs_compat\"],"
                + "\"migrations\":{\"new_tag\":\"v1\",\"steps\":[{\"new_sqlite_classes\":[\"Counter\"]}]},"
                + "\"keep_bindings\":[\"secret_text\",\"secret_key\"],"
                + "\"annotations\":{\"workers/message\":\"probe msg\",\"workers/tag\":\"probe-tag\"}}");
    }

    @Test
    void formLaysOutPartsByteForByteLikeWrangler() {
        WorkerUpload upload = probeWorker().build();
        String metadata = upload.metadata(Optional.empty()).toString();
        byte[] body = upload.form(Optional.empty()).encode("----formdata-test");

        // §6b: metadata first (no filename, no Content-Type), then the main module, then the rest under
        // their bundled names; parts end in CRLF and the body in the closing boundary plus CRLF.
        String expected = "------formdata-test\r\n"
                + "Content-Disposition: form-data; name=\"metadata\"\r\n\r\n"
                + metadata + "\r\n"
                + "------formdata-test\r\n"
                + "Content-Disposition: form-data; name=\"index.js\"; filename=\"index.js\"\r\n"
                + "Content-Type: application/javascript+module\r\n\r\n"
                + "export default {}\r\n"
                + "------formdata-test\r\n"
                + "Content-Disposition: form-data; name=\"" + WASM_NAME + "\"; filename=\"" + WASM_NAME + "\"\r\n"
                + "Content-Type: application/wasm\r\n\r\n"
                + new String(WASM, StandardCharsets.ISO_8859_1) + "\r\n"
                + "------formdata-test--\r\n";
        assertThat(new String(body, StandardCharsets.ISO_8859_1)).isEqualTo(expected);
    }

    @Test
    void everyModuleTypeGetsWranglersMimeType() {
        assertThat(ModuleType.ESM.mimeType()).isEqualTo("application/javascript+module");
        assertThat(ModuleType.COMMONJS.mimeType()).isEqualTo("application/javascript");
        assertThat(ModuleType.COMPILED_WASM.mimeType()).isEqualTo("application/wasm");
        assertThat(ModuleType.DATA.mimeType()).isEqualTo("application/octet-stream");
        assertThat(ModuleType.TEXT.mimeType()).isEqualTo("text/plain");
        assertThat(ModuleType.JSON.mimeType()).isEqualTo("application/json");
        assertThat(ModuleType.SOURCE_MAP.mimeType()).isEqualTo("application/source-map");

        byte[] body = WorkerUpload.builder("w.js")
                .module("w.js", ModuleType.ESM, new byte[] {'1'})
                .module("stdlib.zip", ModuleType.DATA, new byte[] {'2'})
                .module("notes.txt", ModuleType.TEXT, new byte[] {'3'})
                .module("conf.json", ModuleType.JSON, new byte[] {'4'})
                .build().form(Optional.empty()).encode("B");
        assertThat(new String(body, StandardCharsets.UTF_8))
                .contains("name=\"stdlib.zip\"; filename=\"stdlib.zip\"\r\nContent-Type: application/octet-stream\r\n")
                .contains("filename=\"notes.txt\"\r\nContent-Type: text/plain\r\n")
                .contains("filename=\"conf.json\"\r\nContent-Type: application/json\r\n");
    }

    @Test
    void versionMetadataCarriesNoMigrations() {
        WorkerUpload upload = probeWorker().build();
        assertThat(upload.metadata(Optional.empty()).has("migrations")).isFalse();
    }

    @Test
    void contentHashIsStableAndFollowsCodeMetadataAndMigrationsButNotSecretValues() {
        String hash = probeWorker().build().contentHash();
        assertThat(hash).matches("sha256:[0-9a-f]{64}").isEqualTo(probeWorker().build().contentHash());

        byte[] otherWasm = WASM.clone();
        otherWasm[7] = 1;
        assertThat(probeWorker().module("extra.wasm", ModuleType.COMPILED_WASM, otherWasm).build().contentHash())
                .isNotEqualTo(hash);
        assertThat(probeWorker().compatibilityFlags(List.of("python_workers")).build().contentHash())
                .isNotEqualTo(hash);
        assertThat(probeWorker().migrations(List.of(MigrationStep.newSqliteClasses("v2", "ThreadDO"))).build()
                .contentHash()).isNotEqualTo(hash);

        WorkerUpload rotatedSecret = WorkerUpload.builder("index.js")
                .module(WASM_NAME, ModuleType.COMPILED_WASM, WASM)
                .module("index.js", ModuleType.ESM, "export default {}".getBytes(StandardCharsets.UTF_8))
                .binding(new Binding.PlainText("PLAIN_VAR", "hello"))
                .binding(new Binding.SecretText("MY_SECRET", "rotated"))
                .binding(new Binding.KvNamespace("MY_KV", "0123456789abcdef0123456789abcdef"))
                .binding(new Binding.DurableObjectNamespace("MY_DO", "Counter"))
                .binding(new Binding.R2Bucket("MY_R2", "probe-bucket"))
                .binding(new Binding.D1("MY_DB", "00000000-0000-0000-0000-000000000001"))
                .compatibilityDate("2025-04-01")
                .compatibilityFlags(List.of("nodejs_compat"))
                .migrations(List.of(MigrationStep.newSqliteClasses("v1", "Counter")))
                .keepBindings(List.of("secret_text", "secret_key"))
                .annotations("probe msg", "probe-tag")
                .build();
        assertThat(rotatedSecret.contentHash()).isEqualTo(hash);
    }

    @Test
    void refusesUploadsCloudflareWouldReject() {
        assertThatThrownBy(() -> WorkerUpload.builder("main.js").module("other.js", ModuleType.ESM, new byte[0])
                .build()).hasMessageContaining("main module main.js");
        assertThatThrownBy(() -> WorkerUpload.builder("a.js").module("a.js", ModuleType.ESM, new byte[0])
                .module("a.js", ModuleType.TEXT, new byte[0]).build()).hasMessageContaining("a.js");
        assertThatThrownBy(() -> WorkerUpload.builder("a.js").module("a.js", ModuleType.ESM, new byte[0])
                .binding(new Binding.PlainText("X", "1")).binding(new Binding.PlainText("X", "2")).build())
                .hasMessageContaining("X");
    }
}

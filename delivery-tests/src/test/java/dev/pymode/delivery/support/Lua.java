package dev.pymode.delivery.support;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;

/**
 * Runs an Argo CD health script in a real Lua interpreter (provisioned by hack/argocd/provision-lua.sh) the way
 * Argo CD does: the live object as the global {@code obj}, the chunk's return value as the health status. The
 * chunk runs in an environment holding only the base functions and the string, table and math libraries (no io
 * or os), and assigning a global fails, so the script cannot depend on anything Argo CD does not offer.
 */
public final class Lua {

    /** What a health script returned. */
    public record Health(String status, String message) {
    }

    private static final String RUNNER = """
            local script_path = arg[1]
            local file = assert(io.open(script_path, "r"))
            local source = file:read("*a")
            file:close()
            local env = {
              obj = OBJ, pairs = pairs, ipairs = ipairs, type = type, tostring = tostring, tonumber = tonumber,
              next = next, select = select, error = error, pcall = pcall, string = string, table = table, math = math,
            }
            setmetatable(env, {__newindex = function(_, name) error("health.lua assigns the global " .. name, 2) end})
            local chunk
            if setfenv ~= nil then
              chunk = assert(loadstring(source, "=health.lua"))
              setfenv(chunk, env)
            else
              chunk = assert(load(source, "=health.lua", "t", env))
            end
            local hs = chunk()
            assert(type(hs) == "table", "health.lua must return a table")
            io.write(tostring(hs.status), "\\n", tostring(hs.message))
            """;

    private Lua() {
    }

    /** The interpreters: lua5.1 (Argo CD's dialect, gopher-lua) and lua5.4. */
    public static List<Path> interpreters() {
        Path bin = provision();
        return List.of(bin.resolve("lua5.1"), bin.resolve("lua5.4"));
    }

    public static Health run(Path interpreter, Path script, Map<String, Object> obj, Path workDir)
            throws IOException, InterruptedException {
        Path runner = workDir.resolve("runner.lua");
        Files.writeString(runner, "local OBJ = " + literal(obj) + "\n" + RUNNER, StandardCharsets.UTF_8);
        Process process = new ProcessBuilder(interpreter.toString(), runner.toString(), script.toString())
                .redirectErrorStream(true).start();
        String out = new String(process.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
        if (!process.waitFor(30, TimeUnit.SECONDS)) {
            process.destroyForcibly();
            throw new IllegalStateException(interpreter + " did not finish");
        }
        if (process.exitValue() != 0) {
            throw new IllegalStateException(interpreter + " failed (" + process.exitValue() + "): " + out);
        }
        int newline = out.indexOf('\n');
        return new Health(out.substring(0, newline), out.substring(newline + 1));
    }

    /** The interpreter's _VERSION, e.g. "Lua 5.1". */
    public static String version(Path interpreter) throws IOException, InterruptedException {
        Process process = new ProcessBuilder(interpreter.toString(), "-e", "io.write(_VERSION)")
                .redirectErrorStream(true).start();
        String out = new String(process.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
        process.waitFor(30, TimeUnit.SECONDS);
        return out;
    }

    /** A JSON value (as Jackson reads it) as a Lua table constructor; JSON null becomes an absent field. */
    public static String literal(Object value) {
        if (value == null) {
            return "nil";
        }
        if (value instanceof Map<?, ?> map) {
            StringBuilder out = new StringBuilder("{");
            map.forEach((k, v) -> {
                if (v != null) {
                    out.append('[').append(string(k.toString())).append("]=").append(literal(v)).append(',');
                }
            });
            return out.append('}').toString();
        }
        if (value instanceof List<?> list) {
            StringBuilder out = new StringBuilder("{");
            list.forEach(v -> out.append(literal(v)).append(','));
            return out.append('}').toString();
        }
        if (value instanceof String s) {
            return string(s);
        }
        if (value instanceof Number || value instanceof Boolean) {
            return value.toString();
        }
        throw new IllegalArgumentException("not a JSON value: " + value.getClass());
    }

    private static String string(String s) {
        StringBuilder out = new StringBuilder("\"");
        for (byte b : s.getBytes(StandardCharsets.UTF_8)) {
            int c = b & 0xff;
            if (c == '"' || c == '\\') {
                out.append('\\').append((char) c);
            } else if (c < 0x20 || c >= 0x7f) {
                out.append(String.format("\\%03d", c)); // three-digit decimal escape: Lua 5.1 and 5.4
            } else {
                out.append((char) c);
            }
        }
        return out.append('"').toString();
    }

    private static Path provision() {
        Path script = Repo.argocd().resolve("provision-lua.sh");
        try {
            Process process = new ProcessBuilder("bash", script.toString())
                    .redirectError(ProcessBuilder.Redirect.INHERIT).start();
            String out = new String(process.getInputStream().readAllBytes(), StandardCharsets.UTF_8).trim();
            if (process.waitFor() != 0 || out.isEmpty()) {
                throw new IllegalStateException(script + " failed with exit code " + process.exitValue());
            }
            String[] lines = out.split("\\R");
            return Path.of(lines[lines.length - 1]);
        } catch (IOException e) {
            throw new IllegalStateException("cannot run " + script, e);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new IllegalStateException("interrupted while running " + script, e);
        }
    }
}

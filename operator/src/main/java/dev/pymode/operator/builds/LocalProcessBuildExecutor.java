package dev.pymode.operator.builds;

import java.io.IOException;
import java.nio.file.FileAlreadyExistsException;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.stream.Stream;

import com.fasterxml.jackson.databind.ObjectMapper;
import io.fabric8.kubernetes.api.model.HasMetadata;
import io.javaoperatorsdk.operator.api.reconciler.EventSourceContext;
import io.javaoperatorsdk.operator.processing.event.ResourceID;
import io.javaoperatorsdk.operator.processing.event.source.EventSource;
import io.javaoperatorsdk.operator.processing.event.source.inbound.SimpleInboundEventSource;

/**
 * Runs the builder command as a local process, for places without a kubelet (tests, the embedded default).
 *
 * <p>Each build is a directory {@code <work>/<namespace>/<name>/} holding the source tree, {@code build.json}
 * (labels, start time), {@code pid}, {@code log} and, once finished, {@code exit}. The process is started
 * detached (setsid) and writes its exit code itself, so a restarted operator adopts a running build from
 * the directory exactly as it would adopt a Job. The owner is woken when the process ends: the operator waits
 * on the processes it started, and on the ones it adopted from the moment it first observes them.
 */
public class LocalProcessBuildExecutor implements BuildExecutor {

    private static final int LOG_TAIL_LINES = 40;
    /** Process exits wake the owner; this is the safety net (and bounds how late the deadline is enforced). */
    private static final Duration RECHECK = Duration.ofSeconds(60);

    private final Path workDir;
    private final String python;
    private final String program;
    private final Map<String, String> environment;
    private final Duration deadline;
    private final Clock clock;
    private final ObjectMapper mapper;
    /** Per owner kind (as in the owner-kind label), the event source its reconciler registered. */
    private final Map<String, SimpleInboundEventSource<?>> wakers = new ConcurrentHashMap<>();
    /** Build directories whose process is being waited on. */
    private final Set<Path> watched = ConcurrentHashMap.newKeySet();
    /** Per build directory, owners that wait for its artifact besides its own (a shared build key). */
    private final Map<Path, Set<ResourceID>> waiters = new ConcurrentHashMap<>();

    public LocalProcessBuildExecutor(Path workDir, String python, String program, Map<String, String> environment,
                                     Duration deadline, Clock clock, ObjectMapper mapper) {
        this.workDir = workDir;
        this.python = python;
        this.program = program;
        this.environment = environment;
        this.deadline = deadline;
        this.clock = clock;
        this.mapper = mapper;
    }

    private Path dir(String namespace, String name) {
        return workDir.resolve(namespace).resolve(name);
    }

    @Override
    public BuildObservation observe(BuildRequest request) {
        Path dir = dir(request.namespace(), request.name());
        if (!Files.isDirectory(dir)) {
            return BuildObservation.absent();
        }
        try {
            Optional<BuildObservation> finished = finished(dir);
            if (finished.isPresent()) {
                return finished.get();
            }
            Path meta = dir.resolve("build.json");
            if (!Files.exists(meta)) {
                return BuildObservation.running("starting");
            }
            Instant started = Instant.parse(mapper.readTree(meta.toFile()).path("startedAt").asText());
            Optional<Long> pid = readPid(dir);
            Optional<ProcessHandle> process = pid.flatMap(ProcessHandle::of).filter(ProcessHandle::isAlive);
            if (Duration.between(started, clock.instant()).compareTo(deadline) > 0) {
                process.ifPresent(p -> {
                    p.descendants().forEach(ProcessHandle::destroyForcibly);
                    p.destroyForcibly();
                });
                Files.writeString(dir.resolve("exit"), "124\n");
                return BuildObservation.deadlineExceeded(deadline.toString(), logTail(dir));
            }
            if (pid.isEmpty()) {
                return BuildObservation.running("starting");
            }
            if (process.isEmpty()) {
                // it may have finished between the first look and now
                return finished(dir).orElse(BuildObservation.failed("the builder process ended without recording an exit code\n"
                        + logTail(dir)));
            }
            wakeOwnerOnExit(dir, process.get(), request.namespace(), request.labels());
            return BuildObservation.running("pid " + process.get().pid());
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    private static Optional<BuildObservation> finished(Path dir) throws IOException {
        Path exit = dir.resolve("exit");
        if (!Files.exists(exit)) {
            return Optional.empty();
        }
        int code = Integer.parseInt(Files.readString(exit).trim());
        if (code == 0) {
            return Optional.of(BuildObservation.succeeded());
        }
        if (code == BuilderCommand.EXIT_NEEDS_RECIPES) {
            return Optional.of(BuildObservation.needsRecipes(logTail(dir)));
        }
        return Optional.of(code == BuilderCommand.EXIT_INVALID_INPUT ? BuildObservation.invalidInput(logTail(dir))
                : BuildObservation.failed(logTail(dir)));
    }

    @Override
    public boolean start(BuildRequest request) {
        Path dir = dir(request.namespace(), request.name());
        try {
            Files.createDirectories(dir.getParent());
            Files.createDirectory(dir);
        } catch (FileAlreadyExistsException e) {
            return false; // started before, or by a concurrent start: that build is ours too
        } catch (IOException e) {
            throw new UncheckedIOException("cannot start local build " + request.name(), e);
        }
        try {
            Path source = dir.resolve("source");
            for (var file : request.sourceFiles().entrySet()) {
                Path target = source.resolve(file.getKey()).normalize();
                if (!target.startsWith(source)) {
                    throw new IllegalArgumentException("source path escapes the build directory: " + file.getKey());
                }
                Files.createDirectories(target.getParent());
                Files.write(target, file.getValue());
            }
            Files.createDirectories(source);
            mapper.writeValue(dir.resolve("build.json").toFile(), Map.of("labels", request.labels(),
                    "startedAt", clock.instant().toString()));
            List<String> argv = BuilderCommand.argv(python, program, request.subcommand(), source.toString(), request.arguments());
            // setsid: the build outlives an operator restart; the shell records the exit code for observe().
            List<String> command = new ArrayList<>(List.of("setsid", "sh", "-c",
                    "\"$@\" > log 2>&1; echo $? > exit.tmp && mv exit.tmp exit", "pymode-build"));
            command.addAll(argv);
            ProcessBuilder builder = new ProcessBuilder(command).directory(dir.toFile())
                    .redirectOutput(ProcessBuilder.Redirect.DISCARD).redirectError(ProcessBuilder.Redirect.DISCARD);
            builder.environment().putAll(environment);
            Process process = builder.start();
            Files.writeString(dir.resolve("pid"), Long.toString(process.pid()));
            wakeOwnerOnExit(dir, process.toHandle(), request.namespace(), request.labels());
            return true;
        } catch (IOException e) {
            throw new UncheckedIOException("cannot start local build " + request.name(), e);
        }
    }

    @Override
    public void delete(String namespace, String buildName) {
        Path dir = dir(namespace, buildName);
        waiters.remove(dir);
        if (!Files.exists(dir)) {
            return;
        }
        readPid(dir).flatMap(ProcessHandle::of).ifPresent(p -> {
            p.descendants().forEach(ProcessHandle::destroyForcibly);
            p.destroyForcibly();
        });
        try (Stream<Path> tree = Files.walk(dir)) {
            for (Path p : tree.sorted(Comparator.reverseOrder()).toList()) {
                Files.deleteIfExists(p);
            }
        } catch (IOException e) {
            throw new UncheckedIOException("cannot remove local build " + buildName, e);
        }
    }

    /** An inbound event source: {@link #wakeOwnerOnExit} feeds it when a build process of that owner kind ends. */
    @Override
    public <P extends HasMetadata> EventSource<?, P> completions(Class<P> ownerType, EventSourceContext<P> context) {
        var source = new SimpleInboundEventSource<P>("build-processes");
        wakers.put(HasMetadata.getKind(ownerType).toLowerCase(), source);
        return source;
    }

    @Override
    public Duration recheck() {
        return RECHECK;
    }

    /**
     * Once the process ends (the shell has then written {@code exit}), reconciles its owner. A process is waited on
     * once; {@link ProcessHandle#onExit()} works for processes adopted after a restart too, which are not children.
     */
    private void wakeOwnerOnExit(Path dir, ProcessHandle process, String namespace, Map<String, String> labels) {
        if (!watched.add(dir)) {
            return;
        }
        process.onExit().thenRun(() -> {
            watched.remove(dir);
            String kind = labels.get(BuildLabels.OWNER_KIND);
            wake(kind, new ResourceID(labels.get(BuildLabels.OWNER_NAME), namespace));
            waiters.getOrDefault(dir, Set.of()).forEach(waiter -> wake(kind, waiter));
            waiters.remove(dir);
        });
    }

    @Override
    public void wakeWhenFinished(BuildRequest running, ResourceID waiter) {
        Path dir = dir(running.namespace(), running.name());
        waiters.computeIfAbsent(dir, d -> ConcurrentHashMap.newKeySet()).add(waiter);
        if (Files.exists(dir.resolve("exit"))) {
            // it ended before the waiter registered (the shell writes exit before the process ends)
            wake(running.labels().get(BuildLabels.OWNER_KIND), waiter);
        }
    }

    private void wake(String ownerKind, ResourceID owner) {
        SimpleInboundEventSource<?> waker = wakers.get(ownerKind);
        if (waker != null) {
            waker.propagateEvent(owner);
        }
    }

    @Override
    public List<String> buildsOf(String namespace, String ownerKind, String ownerName) {
        Path namespaceDir = workDir.resolve(namespace);
        if (!Files.isDirectory(namespaceDir)) {
            return List.of();
        }
        try (Stream<Path> dirs = Files.list(namespaceDir)) {
            return dirs.filter(d -> ownedBy(d, ownerKind, ownerName)).map(d -> d.getFileName().toString())
                    .sorted().toList();
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    private boolean ownedBy(Path dir, String ownerKind, String ownerName) {
        try {
            var labels = mapper.readTree(dir.resolve("build.json").toFile()).path("labels");
            return ownerKind.toLowerCase().equals(labels.path(BuildLabels.OWNER_KIND).asText())
                    && ownerName.equals(labels.path(BuildLabels.OWNER_NAME).asText());
        } catch (IOException e) {
            return false; // a directory still being created, or not one of ours
        }
    }

    private static Optional<Long> readPid(Path dir) {
        try {
            return Optional.of(Long.parseLong(Files.readString(dir.resolve("pid")).trim()));
        } catch (IOException | NumberFormatException e) {
            return Optional.empty();
        }
    }

    static String logTail(Path dir) throws IOException {
        Path log = dir.resolve("log");
        if (!Files.exists(log)) {
            return "";
        }
        List<String> lines = Files.readAllLines(log, StandardCharsets.UTF_8);
        return String.join("\n", lines.subList(Math.max(0, lines.size() - LOG_TAIL_LINES), lines.size()));
    }
}

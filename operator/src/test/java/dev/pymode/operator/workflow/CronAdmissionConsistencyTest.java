package dev.pymode.operator.workflow;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.io.IOException;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.regex.Pattern;

import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.dataformat.yaml.YAMLFactory;
import dev.pymode.operator.api.v1alpha1.common.Syntax;
import dev.pymode.operator.support.TestPaths;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;

/**
 * Admission and the operator's cron library agree: every schedule (PyModeWorkflow spec.schedule) and worker cron
 * (PyModeWorker spec.crons) of the valid corpus matches the CRD's cron expression and parses with
 * {@link CronSchedule} (cron-utils), and every schedule of the bad corpus fails there too, as does a cron of every
 * bad worker's list (but those marked {@code refusedBy}: {@code cfstandin}, which cron-utils takes and the
 * Cloudflare stand-in reads otherwise, and {@code admission}, a rule of admission's own), so no cron admission lets
 * through fails later in the operator.
 * (The API server's RE2 and java.util.regex read this expression alike: classes, groups, (?i:...), no backrefs.)
 */
@Tag("unit")
class CronAdmissionConsistencyTest {

    private static final Pattern CRON = Pattern.compile(Syntax.CRON);
    private static final Pattern MACRO = Pattern.compile(Syntax.CRON_MACRO);

    @Test
    void validSchedulesMatchAdmissionAndParseInTheOperator() throws IOException {
        Path corpus = TestPaths.repoRoot().resolve("testdata/valid-input/valid.yaml");
        List<String> valid = new ArrayList<>(schedules(corpus));
        assertThat(valid).hasSizeGreaterThanOrEqualTo(8);
        workerCrons(corpus).forEach(valid::addAll);
        for (String schedule : valid) {
            assertThat(CRON.matcher(schedule).matches() || MACRO.matcher(schedule).matches()).as(schedule).isTrue();
            assertThat(CronSchedule.parse(schedule).nextAfter(java.time.Instant.now())).as(schedule).isPresent();
        }
    }

    @Test
    void badSchedulesAreRefusedByTheOperatorsCronLibraryToo() throws IOException {
        List<String> bad = schedules(TestPaths.repoRoot().resolve("testdata/bad-input/workflow-schedule.yaml"));
        assertThat(bad).hasSizeGreaterThanOrEqualTo(20).contains("61 * * * *");
        for (String schedule : bad) {
            assertThatThrownBy(() -> CronSchedule.parse(schedule)).as(schedule)
                    .isInstanceOf(IllegalArgumentException.class);
        }
    }

    @Test
    void everyBadWorkerCronListHoldsACronTheOperatorRefuses() throws IOException {
        List<List<String>> bad = workerCrons(TestPaths.repoRoot().resolve("testdata/bad-input/worker-crons.yaml"));
        assertThat(bad).hasSizeGreaterThanOrEqualTo(8);
        for (List<String> crons : bad) {
            // the lists hold good crons beside the bad one (admission must look at every item)
            assertThat(crons).as("%s", crons).anySatisfy(cron -> assertThat(CronSchedule.problem(cron)).isPresent());
        }
    }

    private static List<String> schedules(Path file) throws IOException {
        List<String> out = new ArrayList<>();
        for (Map<String, Object> spec : specs(file, "PyModeWorkflow")) {
            if (spec.get("schedule") != null) {
                out.add((String) spec.get("schedule"));
            }
        }
        return out;
    }

    /** The spec.crons list of each PyModeWorker case that has one. */
    @SuppressWarnings("unchecked")
    private static List<List<String>> workerCrons(Path file) throws IOException {
        List<List<String>> out = new ArrayList<>();
        for (Map<String, Object> spec : specs(file, "PyModeWorker")) {
            if (spec.get("crons") != null) {
                out.add((List<String>) spec.get("crons"));
            }
        }
        return out;
    }

    /** The specs of the corpus' resources of one kind, but the cases marked refusedBy. */
    @SuppressWarnings("unchecked")
    private static List<Map<String, Object>> specs(Path file, String kind) throws IOException {
        List<Map<String, Object>> out = new ArrayList<>();
        var mapper = new ObjectMapper(new YAMLFactory());
        try (var docs = mapper.readerFor(Map.class).<Map<String, Object>>readValues(file.toFile())) {
            while (docs.hasNext()) {
                Map<String, Object> doc = docs.next();
                Map<String, Object> resource = (Map<String, Object>) doc.get("resource");
                if (resource != null && kind.equals(resource.get("kind")) && doc.get("refusedBy") == null) {
                    out.add((Map<String, Object>) resource.get("spec"));
                }
            }
        }
        return out;
    }
}

package dev.pymode.operator.workflow;

import static org.assertj.core.api.Assertions.assertThat;

import java.io.IOException;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.pymode.devenv.RepositoryLayout;
import org.assertj.core.api.SoftAssertions;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Tag;

/**
 * The operator reads cron triggers as the Cloudflare stand-in does: both run testdata/cron/corpus.json (the
 * stand-in in cfstandin/test/cron-corpus.test.mjs). Valid cases fire at the listed instants; invalid and
 * unsupported ones are refused with a message.
 */
@Tag("unit")
class CronCorpusTest {

    private static final JsonNode CORPUS = read();

    @Test
    void validExpressionsFireAtTheListedInstants() {
        SoftAssertions soft = new SoftAssertions();
        for (JsonNode c : cases("valid")) {
            String cron = c.get("cron").asText();
            soft.assertThat(CronSchedule.problem(cron)).as(cron).isEmpty();
            if (CronSchedule.problem(cron).isPresent()) {
                continue;
            }
            List<String> fired = new ArrayList<>();
            try {
                CronSchedule schedule = CronSchedule.parse(cron);
                Instant at = Instant.parse(c.get("from").asText());
                for (int i = 0; i < c.get("next").size(); i++) {
                    at = schedule.nextAfter(at).orElseThrow();
                    fired.add(at.toString());
                }
            } catch (RuntimeException e) {
                fired.add("refused by cron-utils: " + e.getMessage());
            }
            List<String> expected = new ArrayList<>();
            c.get("next").forEach(n -> expected.add(n.asText()));
            soft.assertThat(fired).as(cron + " (" + c.get("why").asText() + ")").isEqualTo(expected);
        }
        soft.assertAll();
    }

    /** Read backwards, the listed firings are the latest ones: at each firing itself, and a second before the next. */
    @Test
    void theLatestFiringAtOrBeforeIsTheListedOne() {
        SoftAssertions soft = new SoftAssertions();
        for (JsonNode c : cases("valid")) {
            String cron = c.get("cron").asText();
            if (CronSchedule.problem(cron).isPresent()) {
                continue; // reported by validExpressionsFireAtTheListedInstants
            }
            CronSchedule schedule = CronSchedule.parse(cron);
            JsonNode next = c.get("next");
            for (int i = 0; i < next.size(); i++) {
                Instant firing = Instant.parse(next.get(i).asText());
                soft.assertThat(schedule.latestAtOrBefore(firing)).as(cron + " at " + firing).contains(firing);
                if (i + 1 < next.size()) {
                    Instant beforeNext = Instant.parse(next.get(i + 1).asText()).minusSeconds(1);
                    soft.assertThat(schedule.latestAtOrBefore(beforeNext)).as(cron + " at " + beforeNext)
                            .contains(firing);
                }
            }
        }
        soft.assertAll();
    }

    @Test
    void invalidAndUnsupportedExpressionsAreRefused() {
        SoftAssertions soft = new SoftAssertions();
        for (String kind : List.of("invalid", "unsupported")) {
            for (JsonNode c : cases(kind)) {
                String cron = c.get("cron").asText();
                soft.assertThat(CronSchedule.problem(cron)).as(kind + ": " + cron + " (" + c.get("why").asText() + ")")
                        .isPresent();
            }
        }
        soft.assertAll();
    }

    @Test
    void theCorpusCoversEachKind() {
        assertThat(cases("valid")).hasSizeGreaterThanOrEqualTo(20);
        assertThat(cases("invalid")).hasSizeGreaterThanOrEqualTo(20);
        assertThat(cases("unsupported")).isNotEmpty();
    }

    private static List<JsonNode> cases(String kind) {
        List<JsonNode> out = new ArrayList<>();
        CORPUS.get(kind).get("cases").forEach(out::add);
        return out;
    }

    private static JsonNode read() {
        try {
            return new ObjectMapper().readTree(RepositoryLayout.root().resolve("testdata/cron/corpus.json").toFile());
        } catch (IOException e) {
            throw new IllegalStateException(e);
        }
    }
}

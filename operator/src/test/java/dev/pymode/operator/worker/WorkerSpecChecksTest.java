package dev.pymode.operator.worker;

import static org.assertj.core.api.Assertions.assertThat;

import java.time.Clock;
import java.time.Instant;
import java.time.ZoneOffset;
import java.util.List;
import java.util.Optional;

import dev.pymode.operator.api.v1alpha1.worker.CloudflareTarget;
import dev.pymode.operator.api.v1alpha1.worker.PyModeWorker;
import dev.pymode.operator.api.v1alpha1.worker.PyModeWorkerStatus;
import dev.pymode.operator.status.Conditions;
import dev.pymode.operator.status.StatusAggregator;
import dev.pymode.operator.support.Workers;
import io.fabric8.kubernetes.api.model.Condition;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;

/** The validate step: what SpecValid says, and how the aggregator reports it, for valid and invalid specs. */
@Tag("unit")
class WorkerSpecChecksTest {

    private static final StatusAggregator AGGREGATOR =
            new StatusAggregator(Clock.fixed(Instant.parse("2026-12-07T10:00:00Z"), ZoneOffset.UTC));

    private static PyModeWorker worker(String name) {
        PyModeWorker worker = Workers.inline("ns", name, "def on_fetch(request, env): pass");
        worker.getMetadata().setGeneration(2L);
        return worker;
    }

    private static PyModeWorkerStatus validated(PyModeWorker worker, Optional<PyModeWorker> holder) {
        var observed = new WorkerObservation(new PyModeWorkerStatus(), holder, List.of());
        AGGREGATOR.apply(observed.status(), worker.getMetadata().getGeneration(),
                List.of(WorkerSpecChecks.check(worker, observed)));
        return observed.status();
    }

    private static Condition condition(PyModeWorkerStatus status, String type) {
        return Conditions.find(status.getConditions(), type).orElseThrow(() -> new AssertionError("no " + type));
    }

    /** SpecValid as recorded, after checking its status and reason. */
    private static Condition specValid(PyModeWorkerStatus status, String expected, String reason) {
        Condition specValid = condition(status, "SpecValid");
        assertThat(specValid.getStatus()).isEqualTo(expected);
        assertThat(specValid.getReason()).isEqualTo(reason);
        return specValid;
    }

    @Test
    void aValidSpecIsRecordedAsValid() {
        PyModeWorker worker = worker("valid");
        worker.getSpec().setCrons(List.of("*/5 * * * *", "@daily"));

        PyModeWorkerStatus status = validated(worker, Optional.empty());

        assertThat(specValid(status, "True", "Valid").getObservedGeneration()).isEqualTo(2L);
        assertThat(Conditions.find(status.getConditions(), "Stalled")).isEmpty();
    }

    @Test
    void aScriptNameAnOlderWorkerHoldsStallsNamingTheHolderAndIsLookedAtAgain() {
        PyModeWorker holder = worker("steady");
        PyModeWorker intruder = worker("intruder");
        var cloudflare = new CloudflareTarget();
        cloudflare.setScriptName("steady");
        intruder.getSpec().setCloudflare(cloudflare);

        var result = WorkerSpecChecks.check(intruder,
                new WorkerObservation(new PyModeWorkerStatus(), Optional.of(holder), List.of()));
        assertThat(result.retryAfter()).contains(WorkerSpecChecks.CLAIM_RECHECK);
        PyModeWorkerStatus status = validated(intruder, Optional.of(holder));

        assertThat(specValid(status, "False", "ScriptNameConflict").getMessage())
                .contains("Cloudflare script steady belongs to PyModeWorker ns/steady");
        assertThat(condition(status, "Stalled").getReason()).isEqualTo("ScriptNameConflict");
        assertThat(condition(status, "Ready").getMessage()).startsWith("SpecValid: ");
    }

    @Test
    void aCronCloudflareWouldRefuseStallsBeforeAnyWork() {
        PyModeWorker worker = worker("bad-cron");
        worker.getSpec().setCrons(List.of("0 * * * *", "61 * * * *"));

        PyModeWorkerStatus status = validated(worker, Optional.empty());

        assertThat(specValid(status, "False", "InvalidSchedule").getMessage()).startsWith("spec.crons entry '61 * * * *': ");
        assertThat(condition(status, "Stalled").getReason()).isEqualTo("InvalidSchedule");
    }

    @Test
    void aFixedSpecClearsTheEarlierReason() {
        PyModeWorker worker = worker("fixed");
        worker.getSpec().setCrons(List.of("61 * * * *"));
        var observed = new WorkerObservation(new PyModeWorkerStatus(), Optional.empty(), List.of());
        AGGREGATOR.apply(observed.status(), 2, List.of(WorkerSpecChecks.check(worker, observed)));

        worker.getSpec().setCrons(List.of("1 * * * *"));
        AGGREGATOR.apply(observed.status(), 3, List.of(WorkerSpecChecks.check(worker, observed)));

        specValid(observed.status(), "True", "Valid");
        assertThat(Conditions.find(observed.status().getConditions(), "Stalled")).isEmpty();
    }
}

package dev.pymode.operator.workflow;

import java.time.Duration;
import java.time.Instant;
import java.util.Optional;

/**
 * When to ask the worker for the runs its cron trigger started ({@code GET /workflow/runs}, a request that starts
 * the Cloudflare Worker): only when a firing of the schedule has passed that has not been looked for, never on a
 * reconcile between firings. How far the looking has reached is status.scheduleCheckedThrough: every firing at or
 * before it has been looked for (a workflow never looked at starts at {@link #firstSight}). {@code now} is the
 * reconcile's clock reading.
 */
record ScheduledRunLookout(CronSchedule schedule, Instant now) {

    /** How long after a firing to look for the run it started (the cron, the Worker and the run take a moment). */
    static final Duration AFTER_FIRING = Duration.ofSeconds(10);
    /**
     * A firing whose run has not appeared this long after it started none (the Worker skipped or never got it); a
     * later listing still records that run if it does appear, as listings are compared with lastScheduleTime.
     */
    static final Duration GRACE = Duration.ofMinutes(2);
    /** How soon to look again for the run of a recent firing that has not appeared yet. */
    static final Duration LOOK_AGAIN = Duration.ofSeconds(10);

    /** Where the looking starts for a workflow never looked at: firings older than the grace are owed nothing. */
    Instant firstSight() {
        return now.minus(GRACE);
    }

    /** Whether to list the worker's runs now: a firing F with checkedThrough &lt; F &lt;= now - AFTER_FIRING. */
    boolean lookNow(Instant checkedThrough) {
        return schedule.nextAfter(checkedThrough).filter(firing -> !firing.isAfter(due())).isPresent();
    }

    /**
     * How far the looking reaches after a listing: once the latest due firing's run has been recorded
     * (lastScheduleTime at or after it), through the firing of the newest recorded run, which may be one not due
     * yet whose run already shows; otherwise through the firings older than the grace only, so the recent one is
     * looked for again.
     */
    Instant checkedAfterListing(Instant checkedThrough, Optional<Instant> lastScheduleTime) {
        Optional<Instant> latestDue = schedule.latestAtOrBefore(due());
        if (latestDue.isEmpty()) {
            return due(); // it never fired: nothing before now is owed
        }
        Optional<Instant> recorded = lastScheduleTime.filter(last -> !last.isBefore(latestDue.get()));
        Optional<Instant> reached = recorded.isPresent() ? schedule.latestAtOrBefore(recorded.get())
                : schedule.latestAtOrBefore(now.minus(GRACE));
        return reached.filter(instant -> instant.isAfter(checkedThrough)).orElse(checkedThrough);
    }

    /**
     * How long until the next look: just after the first firing past checkedThrough (not the first after now, so a
     * reconcile that comes early for another reason does not skip a firing), or soon while one is still owed.
     * Empty when the schedule never fires again.
     */
    Optional<Duration> untilNextLook(Instant checkedThrough) {
        return schedule.nextAfter(checkedThrough).map(firing -> {
            Duration wait = Duration.between(now, firing.plus(AFTER_FIRING));
            return wait.isNegative() || wait.isZero() ? LOOK_AGAIN : wait;
        });
    }

    private Instant due() {
        return now.minus(AFTER_FIRING);
    }
}

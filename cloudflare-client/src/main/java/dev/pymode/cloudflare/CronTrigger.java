package dev.pymode.cloudflare;

/** One cron trigger of a script ({@code …/scripts/S/schedules}): the expression and when it was set. */
public record CronTrigger(String cron, String createdOn, String modifiedOn) {
}

package dev.pymode.operator.build;

/**
 * What an executor knows about a build.
 *
 * @param phase   where the build stands
 * @param detail  for a failure, the tail of the builder's log (the pip or compiler error); else a short note
 */
public record BuildObservation(Phase phase, String detail) {

    public enum Phase { ABSENT, RUNNING, SUCCEEDED, FAILED }

    public static BuildObservation absent() {
        return new BuildObservation(Phase.ABSENT, "");
    }

    public static BuildObservation running(String detail) {
        return new BuildObservation(Phase.RUNNING, detail);
    }

    public static BuildObservation succeeded() {
        return new BuildObservation(Phase.SUCCEEDED, "");
    }

    public static BuildObservation failed(String logTail) {
        return new BuildObservation(Phase.FAILED, logTail);
    }
}

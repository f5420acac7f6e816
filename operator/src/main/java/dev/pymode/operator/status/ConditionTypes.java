package dev.pymode.operator.status;

/** Condition types: the kstatus trio plus the pipeline's stage conditions. */
public final class ConditionTypes {
    /** Everything the resource asks for is in place. */
    public static final String READY = "Ready";
    /** The operator is working towards the desired state (kstatus "abnormal-true": absent when false). */
    public static final String RECONCILING = "Reconciling";
    /** Progress is impossible without a change to the resource or its environment (absent when false). */
    public static final String STALLED = "Stalled";

    public static final String SPEC_VALID = "SpecValid";
    public static final String SOURCE_READY = "SourceReady";
    public static final String BUILT = "Built";
    public static final String DEPLOYED = "Deployed";
    public static final String WORKER_READY = "WorkerReady";
    public static final String SCHEDULED = "Scheduled";

    private ConditionTypes() {
    }
}

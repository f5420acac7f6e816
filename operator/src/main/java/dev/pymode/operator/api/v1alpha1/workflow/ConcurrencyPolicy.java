package dev.pymode.operator.api.v1alpha1.workflow;

/** How overlapping runs are treated. */
public enum ConcurrencyPolicy {
    Allow,
    Forbid,
    Replace
}

package dev.pymode.operator.api.v1alpha1.worker;

/** The fate of a worker's Cloudflare data resources when the worker is deleted. */
public enum ResourcePolicy {
    Delete,
    Retain
}

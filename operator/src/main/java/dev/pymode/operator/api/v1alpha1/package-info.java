/**
 * The {@code pymode.dev/v1alpha1} API: custom resources reconciled by the PyMode operator.
 *
 * <p>Field documentation lives in {@code @JsonPropertyDescription}: the CRD generator turns it into the
 * OpenAPI descriptions that {@code kubectl explain} prints, so it is the one source of API docs.
 * Validation that the schema alone cannot express is written as CEL rules ({@code @ValidationRule}),
 * so the API server refuses bad input with a specific message before the operator sees it.
 */
package dev.pymode.operator.api.v1alpha1;

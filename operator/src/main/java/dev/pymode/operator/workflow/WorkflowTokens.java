package dev.pymode.operator.workflow;

import java.util.Optional;

import dev.pymode.operator.api.v1alpha1.worker.PyModeWorker;
import dev.pymode.operator.api.v1alpha1.worker.WorkerBindings;
import dev.pymode.operator.kube.SecretValues;

/**
 * The bearer token a worker's {@code /workflow/*} routes require: its {@code PYMODE_WORKFLOW_TOKEN} var or secret
 * binding (pymode.workflows refuses calls without it). The value is only sent to the worker.
 */
public class WorkflowTokens {

    static final String TOKEN_BINDING = "PYMODE_WORKFLOW_TOKEN";

    private final SecretValues secrets;

    public WorkflowTokens(SecretValues secrets) {
        this.secrets = secrets;
    }

    /** @throws SecretValues.MissingSecretException when the secret binding's Secret or key is missing */
    public Optional<String> of(PyModeWorker worker) {
        WorkerBindings bindings = worker.getSpec().getBindings();
        if (bindings == null) {
            return Optional.empty();
        }
        if (bindings.getVars().containsKey(TOKEN_BINDING)) {
            return Optional.of(bindings.getVars().get(TOKEN_BINDING));
        }
        return bindings.getSecrets().stream().filter(s -> TOKEN_BINDING.equals(s.getName())).findFirst()
                .map(s -> secrets.read(worker.getMetadata().getNamespace(), s.getSecretKeyRef()).value());
    }
}

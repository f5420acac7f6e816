package dev.pymode.operator.oci;

/** The registry could not answer; transient, retried with backoff. */
public class RegistryUnavailableException extends RuntimeException {
    public RegistryUnavailableException(String message, Throwable cause) {
        super(message, cause);
    }
}

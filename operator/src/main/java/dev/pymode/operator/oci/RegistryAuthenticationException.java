package dev.pymode.operator.oci;

/**
 * The registry refused the credentials (or asked for some when none were given): HTTP 401 or 403. A subclass
 * of {@link RegistryUnavailableException} so lookups that only care about "no answer" keep treating it so.
 */
public class RegistryAuthenticationException extends RegistryUnavailableException {

    private final int status;

    public RegistryAuthenticationException(String message, int status) {
        super(message, null);
        this.status = status;
    }

    /** 401 or 403. */
    public int status() {
        return status;
    }
}

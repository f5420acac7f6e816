package dev.pymode.cloudflare;

/** Result of a token verify: {@code status} is {@code active}, {@code disabled} or {@code expired}. */
public record TokenStatus(String id, String status, String expiresOn) {

    public boolean active() {
        return "active".equals(status);
    }
}

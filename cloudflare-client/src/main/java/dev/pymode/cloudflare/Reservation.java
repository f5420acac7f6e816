package dev.pymode.cloudflare;

/**
 * Permits taken ahead for a sequence of calls to one account ({@link CloudflareClient#reserving}): the sequence's
 * calls spend these first and take from the limiter only once they are gone; what is left goes back at the end.
 */
final class Reservation {

    private final RateLimiter limiter;
    private final String account;
    private int left;

    Reservation(RateLimiter limiter, String account, int permits) {
        this.limiter = limiter;
        this.account = account;
        this.left = permits;
    }

    /** Spends one permit for a call to {@code account}, if one is left. */
    synchronized boolean take(String callAccount) {
        if (left == 0 || !account.equals(callAccount)) {
            return false;
        }
        left--;
        return true;
    }

    /** Gives the permits not spent back to the limiter (once). */
    synchronized void release() {
        if (left > 0) {
            limiter.giveBack(account, left);
            left = 0;
        }
    }
}

package dev.pymode.operator.api.v1alpha1.common;

/**
 * Grammars the CRDs enforce at admission (CEL {@code matches}, RE2 syntax), one constant per rule so each lives
 * in one place. The values reach pip, Cloudflare and the operator's cron library later: a value refused here is
 * one those would refuse too (or, for packages, one that could steer pip), so it fails in {@code kubectl apply}
 * with the field's name instead of minutes later in a status condition.
 *
 * <p>The regular expressions go into a raw triple-quoted CEL string, {@code self.matches(r'''...''')}, so quotes
 * and backslashes need no escaping; CRON_RANGES_FORWARD, CRON_LIST_RANGES_FORWARD, CRON_LIST_FIRST_BACKWARDS and
 * CALENDAR_DATE are whole CEL expressions over {@code self}.
 */
public final class Syntax {

    private Syntax() {
    }

    /**
     * For a messageExpression, around a CEL string expression: shows it quoted, line breaks and tabs as spaces (the
     * API server drops a message with a line break and shows the bare rule instead). Constants, not a method, since
     * annotation values must be constant expressions.
     */
    public static final String SHOW_BEGIN = "'\"' + (";
    public static final String SHOW_END = ").replace('\\n', ' ').replace('\\r', ' ').replace('\\t', ' ') + '\"'";

    // ---- PEP 508 requirement, as a package index name (no URL, path or pip option) ----

    private static final String NAME = "[A-Za-z0-9]([A-Za-z0-9._-]*[A-Za-z0-9])?";
    private static final String EXTRAS = "( *\\[ *(" + NAME + "( *, *" + NAME + ")*)? *\\])?";
    private static final String SPECIFIER = "(===|~=|==|!=|<=|>=|<|>) *[A-Za-z0-9_.*+!-]+";
    private static final String SPECIFIERS = SPECIFIER + "( *, *" + SPECIFIER + ")*";
    private static final String VERSIONS = "( *(\\( *" + SPECIFIERS + " *\\)|" + SPECIFIERS + "))?";
    // Marker operands: an environment marker name or a quoted literal without '/', ':' or '@', so no marker can
    // smuggle a URL or path past the rules above. The builder parses markers fully with `packaging`.
    private static final String MARKER_VALUE = "([a-z_]+([.][a-z_]+)?|\"[A-Za-z0-9_.*+!~ -]*\"|'[A-Za-z0-9_.*+!~ -]*')";
    private static final String MARKER_TERM = "[( ]*" + MARKER_VALUE + " *(===|~=|==|!=|<=|>=|<|>|not in|in) *"
            + MARKER_VALUE + "[) ]*";
    private static final String MARKER = "( *; *" + MARKER_TERM + "( +(and|or) +" + MARKER_TERM + ")*)?";

    /**
     * A PEP 508 requirement by name: {@code name[extras] specifiers ; marker}, e.g. {@code httpx[http2]>=0.27,<1}
     * or {@code attrs; python_version >= "3.10"}. Spaces only (no tabs or newlines); no direct references.
     */
    public static final String REQUIREMENT = "^" + NAME + EXTRAS + VERSIONS + MARKER + " *$";

    // ---- cron, Cloudflare's dialect (cloudflare/saffron) as the operator's CronSchedule evaluates it ----

    // Each field: comma-separated elements, each `*`, a value or a range a-b, with an optional step /n.
    // (Annotation values must be constant expressions, hence spelled out rather than built by a method.)
    private static final String MINUTE = "([0-5]?[0-9])";
    private static final String MINUTE_ELEMENT = "(\\*|" + MINUTE + "(-" + MINUTE + ")?)(/([1-9]|[1-5][0-9]))?";
    private static final String HOUR = "([01]?[0-9]|2[0-3])";
    private static final String HOUR_ELEMENT = "(\\*|" + HOUR + "(-" + HOUR + ")?)(/([1-9]|1[0-9]|2[0-3]))?";
    private static final String DAY = "(0?[1-9]|[12][0-9]|3[01])";
    private static final String DAY_ELEMENT = "(\\*|" + DAY + "(-" + DAY + ")?)(/([1-9]|[12][0-9]|30))?";
    private static final String MONTH = "(0?[1-9]|1[0-2]|(?i:JAN|FEB|MAR|APR|MAY|JUN|JUL|AUG|SEP|OCT|NOV|DEC))";
    private static final String MONTH_ELEMENT = "(\\*|" + MONTH + "(-" + MONTH + ")?)(/([1-9]|1[01]))?";
    // Days of the week are Cloudflare's: 1-7 from Sunday (1 = SUN, 7 = SAT). SUN is the week's first day, so it may
    // start a range but not end one (MON-SUN runs backwards: Cloudflare wraps it around, PyMode does not).
    private static final String WEEKDAY = "(0?[1-7]|(?i:MON|TUE|WED|THU|FRI|SAT))";
    private static final String WEEKDAY_ELEMENT = "(\\*|(" + WEEKDAY + "|(?i:SUN))(-" + WEEKDAY + ")?)(/[1-6])?";
    // Cloudflare's day extensions, each the whole field (L and W upper case, as Cloudflare reads them): the last day,
    // n days before it, the last weekday, the weekday nearest the nth (up to the 27th: CronSchedule); Saturday, the
    // month's last d, its nth d.
    private static final String DAY_EXTENSION = "L|LW|L-(0?[1-9]|[12][0-9]|30)|(0?[1-9]|1[0-9]|2[0-7])W";
    private static final String WEEKDAY_EXTENSION = "L|(" + WEEKDAY + "|(?i:SUN))(L|#0?[1-5])";

    /**
     * Five fields separated by spaces (CronSchedule deploys them joined by single spaces): minute 0-59, hour 0-23,
     * day-of-month 1-31, month 1-12 or JAN-DEC, day-of-week 1-7 from Sunday (Cloudflare's numbering: 1 = SUN,
     * 7 = SAT) or SUN-SAT; steps from 1 to the field's span (59, 23, 30, 11, 6: Cloudflare refuses longer ones).
     * Cloudflare's day extensions as the whole day field: L, L-n, LW, nW (n up to 27; CronSchedule evaluates no
     * more) and L, dL, d#n. Cloudflare refuses ?, and so does this. CronAdmissionConsistencyTest holds the corpus to it.
     */
    public static final String CRON = "^"
            + MINUTE_ELEMENT + "(," + MINUTE_ELEMENT + ")* +"
            + HOUR_ELEMENT + "(," + HOUR_ELEMENT + ")* +"
            + "(" + DAY_EXTENSION + "|" + DAY_ELEMENT + "(," + DAY_ELEMENT + ")*) +"
            + MONTH_ELEMENT + "(," + MONTH_ELEMENT + ")* +"
            + "(" + WEEKDAY_EXTENSION + "|" + WEEKDAY_ELEMENT + "(," + WEEKDAY_ELEMENT + ")*)$";

    /**
     * A cron whose day-of-week field (the last) holds the number 0: UNIX cron's Sunday, refused by Cloudflare. Its own
     * rule, so the refusal says why ({@link #CRON_WEEKDAY_ZERO_MESSAGE}).
     */
    public static final String CRON_WEEKDAY_ZERO = "^[^ ]+ +[^ ]+ +[^ ]+ +[^ ]+ +([^ ]*[,-])?0+([-,/#L][^ ]*)?$";
    /** Cloudflare's day-of-week numbering, as refusals name it. */
    public static final String CRON_WEEKDAYS = "days are 1-7 from Sunday (1 = SUN, 7 = SAT), or SUN-SAT";
    public static final String CRON_WEEKDAY_ZERO_MESSAGE = "day-of-week 0 is not valid at Cloudflare: " + CRON_WEEKDAYS;

    /** The cron macros CronSchedule spells out as 5 fields. */
    public static final String CRON_MACRO = "^@(yearly|annually|monthly|weekly|daily|hourly)$";

    /**
     * CEL appended to a cron string expression (the field itself or a list's item), true when every range
     * {@code a-b} runs forwards, numbers and names alike (a regex cannot compare values; CronSchedule and the
     * Cloudflare stand-in refuse {@code 5-3}, {@code FRI-MON}, {@code DEC-JAN}, which Cloudflare wraps around). Month
     * and day names become their numbers first (they are distinct, and {@link #CRON} lets each only into its own
     * field), so {@code FRI-MON} is compared as {@code 6-2}. findAll keeps the cost estimate within the budget, where
     * splitting into fields and elements does not.
     */
    private static final String RANGES_RUN_FORWARD = ".upperAscii()"
            + ".replace('JAN', '1').replace('FEB', '2').replace('MAR', '3').replace('APR', '4')"
            + ".replace('MAY', '5').replace('JUN', '6').replace('JUL', '7').replace('AUG', '8')"
            + ".replace('SEP', '9').replace('OCT', '10').replace('NOV', '11').replace('DEC', '12')"
            + ".replace('SUN', '1').replace('MON', '2').replace('TUE', '3').replace('WED', '4')"
            + ".replace('THU', '5').replace('FRI', '6').replace('SAT', '7')"
            + ".findAll('[0-9]+-[0-9]+').all(r, int(r.split('-')[0]) <= int(r.split('-')[1]))";

    /** CEL over a cron string {@code self}: its ranges run forwards ({@link #RANGES_RUN_FORWARD}). */
    public static final String CRON_RANGES_FORWARD = "self" + RANGES_RUN_FORWARD;

    /**
     * CEL over a list of cron strings {@code self}: every cron's ranges run forwards. The 1.34 API server estimates
     * it (and {@link #CRON_LIST_FIRST_BACKWARDS}) at about 170,000 for spec.crons (16 items of up to 128 characters)
     * of the 10,000,000 allowed per expression, about what the numbers-only rule cost; the estimate grows with the
     * square of maxItems and passes the limit at about 205 items.
     */
    public static final String CRON_LIST_RANGES_FORWARD = "self.all(c, c" + RANGES_RUN_FORWARD + ")";

    /**
     * CEL over a list of cron strings {@code self}: the first cron whose ranges do not run forwards, shown as
     * {@link #SHOW_BEGIN} shows it (for a messageExpression, so the refusal names the cron among up to 16).
     */
    public static final String CRON_LIST_FIRST_BACKWARDS = SHOW_BEGIN + "self.filter(c, !(c" + RANGES_RUN_FORWARD
            + "))[0]" + SHOW_END;

    /** Why {@link #CRON_RANGES_FORWARD} refuses a cron, after the field's name. */
    public static final String CRON_RANGES_FORWARD_MESSAGE = "ranges must run forwards: a-b with a <= b, names as "
            + "their numbers (SUN = 1, JAN = 1): FRI-MON and DEC-JAN wrap around, which PyMode does not evaluate";

    // ---- calendar date ----

    /**
     * CEL over a {@code YYYY-MM-DD} string {@code self}: a real calendar date (month 1-12, a day the month has,
     * 29 February only in leap years). Plain arithmetic, which every CEL of Kubernetes 1.30+ (docs/install.md)
     * evaluates. Tried on the 1.34 API server: {@code timestamp(self + 'T00:00:00Z')} refuses 2026-02-30 with an
     * evaluation error ("type conversion error from 'string' to 'google.protobuf.Timestamp' evaluating rule: ..."),
     * not a clean refusal; {@code format.date()} refuses it cleanly but is a newer CEL library than 1.30.
     */
    public static final String CALENDAR_DATE = "self.matches('^[0-9]{4}-[0-9]{2}-[0-9]{2}$')"
            + " && int(self.substring(5, 7)) >= 1 && int(self.substring(5, 7)) <= 12"
            + " && int(self.substring(8, 10)) >= 1"
            + " && int(self.substring(8, 10)) <= (int(self.substring(5, 7)) == 2"
            + " ? (int(self.substring(0, 4)) % 4 == 0 && (int(self.substring(0, 4)) % 100 != 0"
            + " || int(self.substring(0, 4)) % 400 == 0) ? 29 : 28)"
            + " : (int(self.substring(5, 7)) in [4, 6, 9, 11] ? 30 : 31))";

    // ---- Cloudflare names ----

    /** A Workers compatibility flag: lowercase letters, digits and '_' (nodejs_compat, no_global_navigator). */
    public static final String COMPATIBILITY_FLAG = "^[a-z][a-z0-9_]*$";

    /** A Queue name: 1-63 lowercase letters, digits or '-', starting and ending with a letter or digit. */
    public static final String QUEUE_NAME = "^[a-z0-9]([a-z0-9-]{0,61}[a-z0-9])?$";

    /** A Worker script name (as spec.cloudflare.scriptName). */
    public static final String SCRIPT_NAME = "^[a-z0-9]([a-z0-9-]{0,61}[a-z0-9])?$";

    /** A D1 database name, as the Cloudflare API's schema gives it. */
    public static final String D1_DATABASE_NAME = "^[a-z0-9][a-z0-9_-]*$";

    /**
     * A Workers route pattern: an optional leading {@code *} or {@code *.} on the host, a DNS host name, and an
     * optional path whose only wildcard is a trailing {@code *}; no scheme, port, query or whitespace.
     */
    public static final String ROUTE_PATTERN = "^([*]|[*][.])?([A-Za-z0-9]([A-Za-z0-9-]*[A-Za-z0-9])?[.])*"
            + "[A-Za-z0-9]([A-Za-z0-9-]*[A-Za-z0-9])?(/[A-Za-z0-9._~%!$&'()+,;=:@/-]*[*]?)?$";

    /** A DNS zone name. */
    public static final String ZONE_NAME = "^([a-z0-9]([a-z0-9-]*[a-z0-9])?[.])+[a-z0-9]([a-z0-9-]*[a-z0-9])?$";
}

package dev.belfry.cluster.internal;

/** Database errors as one line an operator can act on. */
final class DbErrors {

    private DbErrors() {
    }

    /**
     * @return the first line of the innermost cause's message: a pool's "connection is not available" says less
     *         than the "Connection to 127.0.0.1:5432 refused" inside it
     */
    static String describe(Throwable e) {
        Throwable t = e;
        while (t.getCause() != null && t.getCause() != t) {
            t = t.getCause();
        }
        String m = t.getMessage() == null ? t.toString() : t.getMessage();
        String line = m.lines().findFirst().orElse(m);
        // The pool's own wording, with its counters, when no connection could be made in time: not the operator's
        // vocabulary.
        if (line.contains("Connection is not available, request timed out after")) {
            return "no connection to the database within " + line.replaceAll(".*timed out after (\\d+)ms.*", "$1")
                    + " ms (it is down or out of reach)";
        }
        return line;
    }
}

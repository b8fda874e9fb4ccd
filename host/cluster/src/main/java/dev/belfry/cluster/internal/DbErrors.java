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
        return m.lines().findFirst().orElse(m);
    }
}

package dev.belfry.host.reliability;

/**
 * How deep the reliability suite goes: bounded in {@code mvn verify} ("ci"), deeper with {@code -Preliability-long}
 * ("long"). Each suite scales its cycles, inputs and durations with {@link #pick(int, int)}.
 */
public final class Depth {
    private Depth() {
    }

    /** @return true under {@code -Preliability-long} */
    public static boolean isLong() {
        return "long".equals(System.getProperty("belfry.reliability", "ci"));
    }

    /**
     * @param ci         the figure for the bounded run
     * @param longRun    the figure for the long run
     * @return the figure for this run
     */
    public static int pick(int ci, int longRun) {
        return isLong() ? longRun : ci;
    }

    /**
     * @return the seed to use: {@code -Dbelfry.seed=N} to replay a failure, else a fresh one (print it with results)
     */
    public static long seed() {
        String s = System.getProperty("belfry.seed");
        return s != null && !s.isBlank() ? Long.parseLong(s.strip()) : System.nanoTime();
    }
}

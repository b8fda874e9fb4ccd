package dev.belfry.api;

/**
 * What the host does with fires that were missed because it was down, the job was paused, or the host stalled.
 * Create with {@link #skip()}, {@link #fireOnce()} (the default) or {@link #fireAll(int)}.
 */
public sealed interface MisfirePolicy permits MisfirePolicy.Skip, MisfirePolicy.FireOnce, MisfirePolicy.FireAll {

    /**
     * Missed fires are dropped; the job waits for its next regular fire.
     *
     * @return the skip policy
     */
    static MisfirePolicy skip() {
        return Skip.INSTANCE;
    }

    /**
     * All missed fires together cause one run, as soon as possible. The default.
     *
     * @return the fire-once policy
     */
    static MisfirePolicy fireOnce() {
        return FireOnce.INSTANCE;
    }

    /**
     * Each missed fire runs, oldest first, up to {@code maxFires}; older ones beyond the cap are dropped.
     *
     * @param maxFires the most missed fires to catch up on, from 1 to 10,000
     * @return the fire-all policy
     * @throws IllegalArgumentException if {@code maxFires} is out of range
     */
    static MisfirePolicy fireAll(int maxFires) {
        return new FireAll(maxFires);
    }

    /** See {@link MisfirePolicy#skip()}. */
    record Skip() implements MisfirePolicy {
        private static final Skip INSTANCE = new Skip();
    }

    /** See {@link MisfirePolicy#fireOnce()}. */
    record FireOnce() implements MisfirePolicy {
        private static final FireOnce INSTANCE = new FireOnce();
    }

    /**
     * See {@link MisfirePolicy#fireAll(int)}.
     *
     * @param maxFires the most missed fires to catch up on
     */
    record FireAll(int maxFires) implements MisfirePolicy {
        /** The largest cap accepted. */
        public static final int MAX = 10_000;

        /**
         * Validates the cap.
         *
         * @param maxFires the cap
         * @throws IllegalArgumentException if it is not between 1 and {@link #MAX}
         */
        public FireAll {
            if (maxFires < 1 || maxFires > MAX) {
                throw new IllegalArgumentException("misfire fireAll max must be between 1 and " + MAX + ": " + maxFires);
            }
        }
    }
}

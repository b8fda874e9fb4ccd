package dev.belfry.host.internal.engine;

import dev.belfry.sidecar.RunOutcome;
import java.time.Duration;
import java.time.Instant;

/** How a run's end is written down: the texts of cancellations and failures, and the recorded duration. */
final class RunOutcomes {
    /** How a cancelled run's outcome starts, followed by the reason. */
    static final String CANCELLED = "cancelled: ";
    /** How a timed-out run's outcome starts, followed by its limit. */
    static final String TIMED_OUT = "timed out after ";
    /** A plugin stop's cancellation reason is "plugin ID is stopping"; recognised in recorded outcomes. */
    private static final String PLUGIN_STOPPING_PREFIX = "plugin ";
    private static final String PLUGIN_STOPPING_SUFFIX = " is stopping";
    private static final Duration MAX_RUN_DURATION = Duration.ofMillis(Long.MAX_VALUE);
    private static final int MAX_ERROR_CHARS = 2_000;

    private RunOutcomes() {
    }

    /** @return the reason a run is cancelled with when its plugin stops */
    static String pluginStopping(String pluginId) {
        return PLUGIN_STOPPING_PREFIX + pluginId + PLUGIN_STOPPING_SUFFIX;
    }

    /** @return true if a run's error says the run was cancelled because its plugin stopped */
    static boolean isPluginStopCancellation(String error) {
        return error.startsWith(CANCELLED + PLUGIN_STOPPING_PREFIX) && error.contains(PLUGIN_STOPPING_SUFFIX);
    }

    /**
     * @return true if a run's error says it was cancelled by a decision that is not the job's failure: its plugin
     *         stopped, or an operator cancelled it
     */
    static boolean isCancelledNotFailed(String error) {
        return isPluginStopCancellation(error) || error.equals(CANCELLED + Run.BY_OPERATOR);
    }

    /**
     * Whether a recorded outcome is that of a run cancelled because its plugin stopped: such a run is not the job's
     * failure (the metrics and a once job's re-arming tell it from one by this).
     */
    static boolean cancelledByPluginStop(RunOutcome outcome) {
        return !outcome.success() && isPluginStopCancellation(outcome.message());
    }

    /** @return a failure as a run's error: its class and message, cut short if very long */
    static String describe(Throwable t) {
        String message = t.getMessage();
        String text = t.getClass().getName() + (message == null || message.isBlank() ? "" : ": " + message);
        return text.length() > MAX_ERROR_CHARS ? text.substring(0, MAX_ERROR_CHARS) + "..." : text;
    }

    /**
     * A run's duration as the sidecar records it (whole milliseconds in a long): never negative, and a start read
     * from a file centuries ago is held at the longest duration the sidecar can hold rather than overflow.
     */
    static Duration runDuration(Instant from, Instant to) {
        if (!to.isAfter(from)) {
            return Duration.ZERO;
        }
        Duration d = Duration.between(from, to);
        return d.compareTo(MAX_RUN_DURATION) > 0 ? MAX_RUN_DURATION : d;
    }
}

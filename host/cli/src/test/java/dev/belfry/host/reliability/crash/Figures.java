package dev.belfry.host.reliability.crash;

import java.time.Duration;
import java.util.ArrayList;
import java.util.Collections;
import java.util.List;

/** A list of durations with the summary the reliability page reports: median, p99 and max, in milliseconds. */
final class Figures {
    private final List<Duration> values = new ArrayList<>();

    void add(Duration d) {
        values.add(d);
    }

    int count() {
        return values.size();
    }

    long percentileMillis(double p) {
        if (values.isEmpty()) {
            return -1;
        }
        List<Duration> sorted = new ArrayList<>(values);
        Collections.sort(sorted);
        int index = (int) Math.ceil(p / 100.0 * sorted.size()) - 1;
        return sorted.get(Math.max(0, Math.min(sorted.size() - 1, index))).toMillis();
    }

    String summary() {
        return "median " + percentileMillis(50) + " ms, p99 " + percentileMillis(99) + " ms, max "
                + percentileMillis(100) + " ms (n=" + values.size() + ")";
    }
}

package dev.belfry.host.internal.cli;

import java.time.Duration;
import java.time.Instant;

/** "in 4m", "12s ago", "now": how far an instant is from now, to the largest whole unit. */
final class RelativeTime {
    private RelativeTime() {
    }

    static String of(String isoInstant, Instant now) {
        if (isoInstant == null || isoInstant.isEmpty() || "null".equals(isoInstant)) {
            return "-";
        }
        Duration d = Duration.between(now, Instant.parse(isoInstant));
        boolean past = d.isNegative();
        long s = Math.abs(d.getSeconds());
        String amount = s < 1 ? "" : s < 60 ? s + "s" : s < 3600 ? s / 60 + "m" : s < 86_400 ? s / 3600 + "h"
                : s / 86_400 + "d";
        if (amount.isEmpty()) {
            return "now";
        }
        return past ? amount + " ago" : "in " + amount;
    }
}

package dev.belfry.host.internal.engine;

import dev.belfry.api.MisfirePolicy;
import dev.belfry.api.schedule.PeriodicMode;
import dev.belfry.api.schedule.Schedule;
import java.time.ZoneOffset;
import java.util.Locale;

/**
 * How a schedule and a misfire policy read for people: in logs, tables and the admin API. One wording everywhere,
 * and never a record's own {@code toString()} ({@code FireOnce[]}).
 */
public final class Schedules {
    private Schedules() {
    }

    /**
     * @param schedule a schedule
     * @return e.g. {@code cron 30 2 * * * Europe/Berlin}, {@code every 10s}, {@code every 15s after end},
     *         {@code once 2027-01-01T00:00:00Z}, {@code manual}
     */
    public static String describe(Schedule schedule) {
        if (schedule instanceof Schedule.Cron c) {
            return "cron " + c.expression() + " " + (c.zone().equals(ZoneOffset.UTC) ? "UTC" : c.zone().getId());
        }
        if (schedule instanceof Schedule.Periodic p) {
            return "every " + p.every().toString().substring(2).toLowerCase(Locale.ROOT)
                    + (p.mode() == PeriodicMode.FIXED_DELAY ? " after end" : "");
        }
        if (schedule instanceof Schedule.Once o) {
            return "once " + o.at();
        }
        if (schedule instanceof Schedule.Manual) {
            return "manual";
        }
        throw new IllegalStateException("unknown schedule kind: " + schedule.getClass().getName());
    }

    /**
     * @param policy a misfire policy
     * @return {@code skip}, {@code fire once} or {@code fire all (at most 5)}
     */
    public static String describe(MisfirePolicy policy) {
        if (policy instanceof MisfirePolicy.Skip) {
            return "skip";
        }
        if (policy instanceof MisfirePolicy.FireOnce) {
            return "fire once";
        }
        if (policy instanceof MisfirePolicy.FireAll all) {
            return "fire all (at most " + all.maxFires() + ")";
        }
        throw new IllegalStateException("unknown misfire policy: " + policy.getClass().getName());
    }
}

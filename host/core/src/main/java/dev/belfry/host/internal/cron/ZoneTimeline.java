package dev.belfry.host.internal.cron;

import com.github.benmanes.caffeine.cache.Cache;
import com.github.benmanes.caffeine.cache.Caffeine;
import java.time.Instant;
import java.time.LocalDateTime;
import java.time.ZoneId;
import java.time.ZoneOffset;
import java.time.zone.ZoneOffsetTransition;
import java.time.zone.ZoneRules;
import java.util.ArrayList;
import java.util.List;

/**
 * A zone's offset transitions as primitive arrays, so that offset look-ups and the local-to-instant mapping of
 * the daylight-saving rule allocate nothing. Transitions between 1900 and 2300 are stored; outside that window
 * (and for zones whose rules keep changing there) the answers come from {@link ZoneRules}, which allocates but
 * is equally exact.
 *
 * <p>All times are whole epoch seconds; a "local" second is the wall-clock reading expressed as if it were UTC.
 */
final class ZoneTimeline {
    /** Returned by {@link #nextTransition} when the zone never changes offset again. */
    static final long NO_TRANSITION = Long.MAX_VALUE;

    private static final long WINDOW_START = Instant.parse("1900-01-01T00:00:00Z").getEpochSecond();
    private static final long WINDOW_END = Instant.parse("2300-01-01T00:00:00Z").getEpochSecond();
    /** LocalDateTime's range in local seconds; Instant's range reaches a little further at both ends. */
    private static final long LOCAL_MIN = LocalDateTime.MIN.toEpochSecond(ZoneOffset.UTC);
    private static final long LOCAL_MAX = LocalDateTime.MAX.toEpochSecond(ZoneOffset.UTC);
    /** Offsets never exceed 18 hours; a local second this far inside the window maps inside it. */
    private static final long MAX_OFFSET = 18 * 3600;

    private static final Cache<ZoneId, ZoneTimeline> CACHE = Caffeine.newBuilder().maximumSize(1_000).build();

    private final ZoneRules rules;
    /** Transition instants, ascending. */
    private final long[] instants;
    private final int[] offsetBefore;
    private final int[] offsetAfter;
    /** Per transition, the local seconds it touches: a gap is [localLow, localHigh), so is an overlap. */
    private final long[] localLow;
    private final long[] localHigh;
    /** Instants in [coverStart, coverEnd) are fully described by the arrays. */
    private final long coverStart;
    private final long coverEnd;
    /** The offset in force before the first stored transition (or always, for a fixed zone). */
    private final int initialOffset;
    /**
     * Whether the transitions' local windows follow each other without overlapping, which the local binary
     * search needs. True for every zone in the tz database for 1900-2300; if a future release broke it, local
     * look-ups would fall back to ZoneRules rather than go wrong.
     */
    private final boolean localOrdered;

    private ZoneTimeline(ZoneRules rules) {
        this.rules = rules;
        List<ZoneOffsetTransition> found = new ArrayList<>();
        if (!rules.isFixedOffset()) {
            ZoneOffsetTransition t = rules.nextTransition(Instant.ofEpochSecond(WINDOW_START));
            while (t != null && t.getInstant().getEpochSecond() < WINDOW_END) {
                found.add(t);
                t = rules.nextTransition(t.getInstant());
            }
        }
        int n = found.size();
        instants = new long[n];
        offsetBefore = new int[n];
        offsetAfter = new int[n];
        localLow = new long[n];
        localHigh = new long[n];
        for (int i = 0; i < n; i++) {
            ZoneOffsetTransition t = found.get(i);
            instants[i] = t.getInstant().getEpochSecond();
            offsetBefore[i] = t.getOffsetBefore().getTotalSeconds();
            offsetAfter[i] = t.getOffsetAfter().getTotalSeconds();
            localLow[i] = instants[i] + Math.min(offsetBefore[i], offsetAfter[i]);
            localHigh[i] = instants[i] + Math.max(offsetBefore[i], offsetAfter[i]);
        }
        initialOffset = rules.getOffset(Instant.ofEpochSecond(WINDOW_START)).getTotalSeconds();
        boolean ordered = true;
        for (int i = 1; i < n; i++) {
            ordered &= localHigh[i - 1] <= localLow[i];
        }
        localOrdered = ordered;
        if (rules.isFixedOffset()) {
            coverStart = Long.MIN_VALUE;
            coverEnd = Long.MAX_VALUE;
        } else {
            coverStart = WINDOW_START;
            // Without recurring rules the last stored transition is the last one ever.
            coverEnd = rules.getTransitionRules().isEmpty() ? Long.MAX_VALUE : WINDOW_END;
        }
    }

    static ZoneTimeline of(ZoneId zone) {
        return CACHE.get(zone, z -> new ZoneTimeline(z.getRules()));
    }

    private boolean covers(long epochSecond) {
        return epochSecond >= coverStart && epochSecond < coverEnd;
    }

    private boolean coversLocal(long local) {
        return localOrdered && local - MAX_OFFSET >= coverStart && local + MAX_OFFSET < coverEnd;
    }

    /** @return index of the last transition at or before {@code epochSecond}, or -1 */
    private int transitionIndex(long epochSecond) {
        int lo = 0;
        int hi = instants.length - 1;
        while (lo <= hi) {
            int mid = (lo + hi) >>> 1;
            if (instants[mid] <= epochSecond) {
                lo = mid + 1;
            } else {
                hi = mid - 1;
            }
        }
        return hi;
    }

    /** @return index of the last transition whose local window starts at or before {@code local}, or -1 */
    private int localIndex(long local) {
        int lo = 0;
        int hi = localLow.length - 1;
        while (lo <= hi) {
            int mid = (lo + hi) >>> 1;
            if (localLow[mid] <= local) {
                lo = mid + 1;
            } else {
                hi = mid - 1;
            }
        }
        return hi;
    }

    /** @return the zone's offset in seconds at the instant */
    int offsetAt(long epochSecond) {
        if (!covers(epochSecond)) {
            return rules.getOffset(Instant.ofEpochSecond(epochSecond)).getTotalSeconds();
        }
        int i = transitionIndex(epochSecond);
        return i < 0 ? initialOffset : offsetAfter[i];
    }

    /** @return the first transition instant strictly after {@code epochSecond}, or {@link #NO_TRANSITION} */
    long nextTransition(long epochSecond) {
        if (covers(epochSecond)) {
            int i = transitionIndex(epochSecond) + 1;
            if (i < instants.length) {
                return instants[i];
            }
            if (coverEnd == Long.MAX_VALUE) {
                return NO_TRANSITION;
            }
        }
        ZoneOffsetTransition t = rules.nextTransition(Instant.ofEpochSecond(epochSecond));
        return t == null ? NO_TRANSITION : t.getInstant().getEpochSecond();
    }

    /**
     * The instant a fixed-time job whose wall clock reads {@code local} fires at: the only instant with that
     * reading; the transition instant if the reading falls in a gap; the first pass if it falls in an overlap.
     * Non-decreasing in {@code local}.
     */
    long firstPass(long local) {
        if (!coversLocal(local)) {
            return firstPassFromRules(local);
        }
        int i = localIndex(local);
        if (i < 0) {
            return local - initialOffset;
        }
        if (local < localHigh[i]) {
            return offsetAfter[i] > offsetBefore[i] ? instants[i] : local - offsetBefore[i];
        }
        return local - offsetAfter[i];
    }

    /**
     * Where to look next after a local second {@code local} whose {@link #firstPass} is not after
     * {@code notAfter}: the smallest later local second whose first pass might be, never skipping one that is.
     */
    long skipTo(long local, long notAfter) {
        if (!coversLocal(local)) {
            return skipFromRules(local, notAfter);
        }
        int i = localIndex(local);
        long candidate;
        if (i >= 0 && local < localHigh[i]) {
            candidate = offsetAfter[i] > offsetBefore[i]
                    ? localHigh[i]
                    : Math.min(notAfter + offsetBefore[i] + 1, localHigh[i]);
        } else {
            int offset = i < 0 ? initialOffset : offsetAfter[i];
            long nextWindow = i + 1 < localLow.length ? localLow[i + 1] : Long.MAX_VALUE;
            candidate = Math.min(notAfter + offset + 1, nextWindow);
        }
        return Math.max(candidate, local + 1);
    }

    /**
     * Past LocalDateTime's range (the years next to Instant.MIN and Instant.MAX) a wall reading cannot be asked
     * about, and java.time knows no transitions there either: the offset is the one in force at that end of time.
     */
    private int offsetBeyondLocalRange(long local) {
        return rules.getOffset(local > 0 ? Instant.MAX : Instant.MIN).getTotalSeconds();
    }

    private static boolean beyondLocalRange(long local) {
        return local < LOCAL_MIN || local > LOCAL_MAX;
    }

    private long firstPassFromRules(long local) {
        if (beyondLocalRange(local)) {
            return local - offsetBeyondLocalRange(local);
        }
        LocalDateTime wall = LocalDateTime.ofEpochSecond(local, 0, ZoneOffset.UTC);
        ZoneOffsetTransition t = rules.getTransition(wall);
        if (t == null) {
            return local - rules.getOffset(wall).getTotalSeconds();
        }
        return t.isGap() ? t.getInstant().getEpochSecond() : local - t.getOffsetBefore().getTotalSeconds();
    }

    private long skipFromRules(long local, long notAfter) {
        if (beyondLocalRange(local)) {
            return Math.max(notAfter + offsetBeyondLocalRange(local) + 1, local + 1);
        }
        LocalDateTime wall = LocalDateTime.ofEpochSecond(local, 0, ZoneOffset.UTC);
        ZoneOffsetTransition t = rules.getTransition(wall);
        long candidate;
        if (t != null) {
            long high = t.getInstant().getEpochSecond()
                    + Math.max(t.getOffsetBefore().getTotalSeconds(), t.getOffsetAfter().getTotalSeconds());
            candidate = t.isGap() ? high : Math.min(notAfter + t.getOffsetBefore().getTotalSeconds() + 1, high);
        } else {
            int offset = rules.getOffset(wall).getTotalSeconds();
            ZoneOffsetTransition next = rules.nextTransition(Instant.ofEpochSecond(local - offset));
            long nextWindow = next == null ? Long.MAX_VALUE
                    : next.getInstant().getEpochSecond()
                            + Math.min(next.getOffsetBefore().getTotalSeconds(), next.getOffsetAfter().getTotalSeconds());
            candidate = Math.min(notAfter + offset + 1, nextWindow);
        }
        return Math.max(candidate, local + 1);
    }
}

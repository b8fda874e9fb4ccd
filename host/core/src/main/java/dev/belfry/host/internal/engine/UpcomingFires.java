package dev.belfry.host.internal.engine;

import dev.belfry.api.QName;
import dev.belfry.api.schedule.Schedule;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Collection;
import java.util.Comparator;
import java.util.List;
import java.util.PriorityQueue;

/**
 * The first fires before a horizon, across jobs, in order (fires at the same instant by job name): a job that fires
 * often is listed as often.
 */
public final class UpcomingFires {
    private UpcomingFires() {
    }

    /**
     * One fire to come.
     *
     * @param at  its instant
     * @param job the job
     */
    public record Fire(Instant at, QName job) {
    }

    /**
     * A job's next fire, from which its later ones follow.
     *
     * @param at       the instant
     * @param job      the job
     * @param schedule its schedule
     */
    public record Next(Instant at, QName job, Schedule schedule) {
    }

    private static final Comparator<Next> EARLIEST_FIRST = Comparator.comparing(Next::at).thenComparing(Next::job);

    /**
     * @param next    each job's next fire; only the jobs with the {@code max} earliest (and those tied with the last
     *                of them) can have a fire among the first {@code max}, so the caller may pass just those
     * @param horizon only fires before this
     * @param max     how many at most
     * @return the first fires before the horizon, in order
     */
    public static List<Fire> merge(Collection<Next> next, Instant horizon, int max) {
        PriorityQueue<Next> queue = new PriorityQueue<>(EARLIEST_FIRST);
        next.stream().filter(n -> n.at().isBefore(horizon)).forEach(queue::add);
        List<Fire> fires = new ArrayList<>(max);
        while (fires.size() < max && !queue.isEmpty()) {
            Next fire = queue.poll();
            fires.add(new Fire(fire.at(), fire.job()));
            NextFire.nextFire(fire.schedule(), fire.at()).filter(at -> at.isBefore(horizon))
                    .ifPresent(at -> queue.add(new Next(at, fire.job(), fire.schedule())));
        }
        return fires;
    }

    /**
     * @param next    every job's next fire, in any order
     * @param horizon only fires before this
     * @param max     how many at most
     * @return the {@code max} earliest of them before the horizon (what {@link #merge} needs), in no order
     */
    public static List<Next> earliest(Iterable<Next> next, Instant horizon, int max) {
        PriorityQueue<Next> latestFirst = new PriorityQueue<>(max + 1, EARLIEST_FIRST.reversed());
        for (Next n : next) {
            if (n.at().isBefore(horizon)
                    && (latestFirst.size() < max || EARLIEST_FIRST.compare(n, latestFirst.peek()) < 0)) {
                latestFirst.add(n);
                if (latestFirst.size() > max) {
                    latestFirst.poll();
                }
            }
        }
        return new ArrayList<>(latestFirst);
    }
}

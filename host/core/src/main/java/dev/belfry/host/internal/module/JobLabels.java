package dev.belfry.host.internal.module;

import dev.belfry.api.QName;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;

/**
 * The bound on metric series per job, shared by every metrics module: the first {@code limit} jobs to be counted
 * keep their own {@code job} label; every later one is counted under {@link #OTHER} (with its plugin label), so a
 * host with 100,000 jobs never makes 100,000 series (docs/operations.md, "Metrics").
 */
public final class JobLabels {
    /** How many jobs keep a label of their own unless the host is told otherwise. */
    public static final int DEFAULT_LIMIT = 1_000;
    /** The job label of the jobs beyond the limit. */
    public static final String OTHER = "_other";

    private final int limit;
    private final Set<QName> labelled = ConcurrentHashMap.newKeySet();

    /**
     * @param limit how many jobs keep their own label; 0 for none (per-plugin series only)
     * @throws IllegalArgumentException naming the limit if it is negative
     */
    public JobLabels(int limit) {
        this.limit = checkLimit(limit);
    }

    /**
     * @param limit a job label limit
     * @return the limit
     * @throws IllegalArgumentException naming the limit if it is negative
     */
    public static int checkLimit(int limit) {
        if (limit < 0) {
            throw new IllegalArgumentException("the metrics' job label limit must be 0 or more, not " + limit);
        }
        return limit;
    }

    /**
     * @param job a job whose run is counted
     * @return the job's label: its qualified name, or {@link #OTHER} once the limit is reached
     */
    public String of(QName job) {
        if (labelled.contains(job)) {
            return job.toString();
        }
        synchronized (this) {
            if (labelled.size() < limit) {
                labelled.add(job);
                return job.toString();
            }
        }
        return OTHER;
    }

    /**
     * @param job a job
     * @return its plugin label: the namespace of its name (a plugin's id, or an application's namespace)
     */
    public static String pluginOf(QName job) {
        return job.namespace();
    }
}

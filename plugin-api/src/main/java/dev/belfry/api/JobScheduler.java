package dev.belfry.api;

import java.util.Set;

/**
 * Adds, replaces and cancels dynamic jobs at run time. A scheduler is scoped to one plugin's namespace: every job
 * it creates is named {@code pluginId.name}, and it cannot see or touch another plugin's jobs.
 *
 * <p>Dynamic jobs are persisted like declared ones. Their code lives in the plugin, so after a restart a plugin
 * re-adds (or {@linkplain #replace replaces}) them when it starts; their history, counters and checkpoint are kept.
 */
public interface JobScheduler {

    /**
     * @return the namespace (plugin id) this scheduler is scoped to
     */
    String namespace();

    /**
     * Adds a new dynamic job.
     *
     * @param job the job; its {@link BackgroundJob#spec()} gives name and schedule
     * @return the new job's qualified name
     * @throws IllegalStateException                           if a job with that name already exists in the namespace
     * @throws dev.belfry.api.schedule.InvalidScheduleException if the schedule is invalid
     */
    QName add(BackgroundJob job);

    /**
     * Adds a dynamic job, or replaces the code and spec of an existing job with the same name while keeping its
     * history, counters and checkpoint.
     *
     * @param job the job
     * @return the job's qualified name
     * @throws dev.belfry.api.schedule.InvalidScheduleException if the schedule is invalid
     */
    QName replace(BackgroundJob job);

    /**
     * Cancels a job of this namespace: a dynamic job is removed; a job the plugin declares is disabled.
     *
     * @param name the job's local name
     * @return true if a job was found and cancelled, false if the namespace has no job of that name
     */
    boolean cancel(String name);

    /**
     * @return the qualified names of the namespace's current jobs, declared and dynamic
     */
    Set<QName> jobs();
}

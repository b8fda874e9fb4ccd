package dev.belfry.host.internal;

import dev.belfry.api.BackgroundJob;
import dev.belfry.api.JobSpec;
import dev.belfry.api.QName;
import dev.belfry.api.schedule.InvalidScheduleException;
import dev.belfry.host.internal.plugins.PluginJob;
import dev.belfry.host.internal.plugins.ScheduleValidator;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Set;

/** Checks the jobs an application registers as the plugin loader checks a plugin's, all before any is accepted. */
public final class ApplicationJobs {
    private ApplicationJobs() {
    }

    /**
     * @param namespace the namespace the application names
     * @param jobs      its jobs
     * @return the jobs, checked, in the order given
     * @throws IllegalArgumentException naming the namespace or the job and why (an
     *                                  {@link InvalidScheduleException} for a schedule the host cannot fire)
     */
    public static List<PluginJob> checked(String namespace, List<? extends BackgroundJob> jobs) {
        try {
            QName.checkNamespace(namespace);
        } catch (IllegalArgumentException e) {
            throw new IllegalArgumentException("cannot register jobs under namespace '" + namespace + "': "
                    + e.getMessage(), e);
        }
        if (jobs.isEmpty()) {
            throw new IllegalArgumentException("cannot register namespace '" + namespace + "': no jobs (to take a"
                    + " namespace's jobs back, unregister it)");
        }
        List<PluginJob> accepted = new ArrayList<>();
        Set<String> names = new HashSet<>();
        ScheduleValidator validator = ScheduleValidator.compiling();
        for (BackgroundJob job : jobs) {
            JobSpec spec;
            try {
                spec = job == null ? null : job.spec();
            } catch (RuntimeException | LinkageError e) {
                throw new IllegalArgumentException("cannot register a job under '" + namespace + "': "
                        + job.getClass().getName() + ".spec() threw " + Printable.escape(String.valueOf(e))
                        .replace("\\u000a", " ").replace("\\u000d", ""), e);
            }
            if (spec == null) {
                throw new IllegalArgumentException("cannot register a job under '" + namespace + "': "
                        + (job == null ? "the job is null" : job.getClass().getName() + ".spec() returned null"));
            }
            if (!names.add(spec.name())) {
                throw new IllegalArgumentException("cannot register job '" + namespace + "." + spec.name()
                        + "': two jobs have that name");
            }
            try {
                validator.validate(spec.schedule());
            } catch (InvalidScheduleException e) {
                throw e.forJob(namespace, spec.name());
            }
            accepted.add(new PluginJob(new QName(namespace, spec.name()), spec, job));
        }
        return accepted;
    }
}

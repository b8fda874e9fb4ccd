package dev.belfry.host.internal.plugins;

import dev.belfry.api.BackgroundJob;
import dev.belfry.api.JobSpec;
import dev.belfry.api.QName;
import java.util.Objects;

/**
 * A job a started plugin contributes, already validated: its qualified name, the spec read once from
 * {@link BackgroundJob#spec()}, and the instance whose {@code run} the engine calls.
 *
 * @param qname the job's qualified name
 * @param spec  its spec
 * @param job   the plugin's instance
 */
public record PluginJob(QName qname, JobSpec spec, BackgroundJob job) {
    /** @throws NullPointerException if any part is missing: the engine takes a job with code for a provided one */
    public PluginJob {
        Objects.requireNonNull(qname, "qname");
        Objects.requireNonNull(spec, "spec");
        Objects.requireNonNull(job, "job");
    }
}

package dev.belfry.bench.lagplugin;

import org.pf4j.Plugin;

/**
 * A benchmark plugin: its {@link SeedJob} registers {@code bench.jobs} (default 100,000) dynamic periodic jobs
 * through the plugin's {@link dev.belfry.api.JobScheduler}, each every {@code bench.period-seconds} (default 10)
 * with their first fires spread evenly over one period, and its {@link ReportJob} prints how late they started
 * every 10 s. Settings are system properties, given to the launcher in {@code BELFRY_JAVA_OPTS}.
 */
public class BenchLagPlugin extends Plugin {
}

package dev.belfry.host.internal.engine;

import dev.belfry.api.BackgroundJob;
import dev.belfry.api.JobScheduler;
import dev.belfry.api.QName;
import java.util.Set;

/**
 * The {@link JobScheduler} a plugin's runs get. It is bound to one namespace and takes only local names, so it
 * cannot name, let alone change, another plugin's jobs.
 */
final class NamespacedScheduler implements JobScheduler {
    private final Engine engine;
    private final String namespace;

    NamespacedScheduler(Engine engine, String namespace) {
        this.engine = engine;
        this.namespace = QName.checkNamespace(namespace);
    }

    @Override
    public String namespace() {
        return namespace;
    }

    @Override
    public QName add(BackgroundJob job) {
        return engine.addDynamic(namespace, job, false);
    }

    @Override
    public QName replace(BackgroundJob job) {
        return engine.addDynamic(namespace, job, true);
    }

    @Override
    public boolean cancel(String name) {
        return engine.cancelInNamespace(new QName(namespace, name));
    }

    @Override
    public Set<QName> jobs() {
        return engine.jobsOf(namespace);
    }
}

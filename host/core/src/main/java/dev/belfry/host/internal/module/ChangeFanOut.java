package dev.belfry.host.internal.module;

import dev.belfry.api.QName;
import dev.belfry.host.HostListener;
import dev.belfry.host.JobView;
import dev.belfry.host.internal.Views;
import dev.belfry.host.internal.engine.EngineListener;
import dev.belfry.host.internal.engine.RunAround;
import dev.belfry.host.internal.engine.RunResult;
import dev.belfry.host.internal.engine.StateSink;
import dev.belfry.host.internal.plugins.LoadedPlugin;
import dev.belfry.host.internal.plugins.PluginProblem;
import dev.belfry.host.internal.state.RunLog;
import dev.belfry.sidecar.JobRecord;
import dev.belfry.sidecar.JobStatus;
import java.time.Instant;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.Optional;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.function.Consumer;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The engine's state sink and run listener: every change goes to the state store (the source of truth) first, and
 * every ended run to the run history; then to the attached modules, then, as events, to the application's
 * listeners. Durability is the store's alone, and neither a module nor a listener can fail a change. In cluster
 * mode the modules hear only of the jobs this host owns ({@link StateSink#owns}): its engine also holds the other
 * hosts' jobs, whose copies here may be stale, and their owners tell their own modules.
 */
public final class ChangeFanOut implements StateSink, EngineListener, RunAround {
    private static final Logger log = LoggerFactory.getLogger(ChangeFanOut.class);

    private final StateSink truth;
    private final RunLog history;
    private final List<HostListener> listeners;
    private final List<AttachedModule> modules = new CopyOnWriteArrayList<>();
    /** Each job's state as last seen, to tell what a change is (a new fire time, a run starting, an orphaning). */
    private final Map<QName, JobRecord> lastSeen = new ConcurrentHashMap<>();

    /**
     * @param truth     the state store
     * @param history   the run history, which forgets a removed job's runs with it
     * @param listeners the application's listeners
     */
    public ChangeFanOut(StateSink truth, RunLog history, List<HostListener> listeners) {
        this.truth = Objects.requireNonNull(truth, "truth");
        this.history = Objects.requireNonNull(history, "history");
        this.listeners = List.copyOf(listeners);
    }

    /** @param module a module to tell of every change from now on */
    public void add(AttachedModule module) {
        modules.add(module);
    }

    @Override
    public long put(JobRecord record) {
        return told(record, truth.put(record));
    }

    @Override
    public long started(JobRecord record, Instant scheduledFor, int attempt) {
        return told(record, truth.started(record, scheduledFor, attempt));
    }

    private long told(JobRecord record, long ticket) {
        if (truth.owns(record.qname())) {
            modules.forEach(m -> m.jobChanged(record));
        }
        JobRecord before = lastSeen.put(record.qname(), record);
        if (!listeners.isEmpty()) {
            tellListeners(before, record);
        }
        return ticket;
    }

    @Override
    public long remove(QName qname) {
        boolean owned = truth.owns(qname); // before the store forgets which shard the job was in
        long ticket = truth.remove(qname);
        history.drop(qname);
        if (owned) {
            modules.forEach(m -> m.jobRemoved(qname));
        }
        lastSeen.remove(qname);
        return ticket;
    }

    @Override
    public boolean owns(QName qname) {
        return truth.owns(qname);
    }

    @Override
    public java.util.concurrent.CompletableFuture<Void> durable(long ticket) {
        return truth.durable(ticket);
    }

    @Override
    public void runStarted(JobRecord job) {
        // Told by the engine, not read from a change: a durable start is a run only once it is on disk.
        if (!listeners.isEmpty()) {
            JobView view = Views.job(job, List.of(), Optional.empty());
            tell("runStarted", l -> l.runStarted(view));
        }
    }

    /** Enters every module's wrapping of the run; they are exited in the reverse order. */
    @Override
    public Scope enter(RunInfo run) {
        List<Scope> entered = new java.util.ArrayList<>(2);
        for (AttachedModule m : modules) {
            Scope s = m.enterRun(run);
            if (s != Scope.NONE) {
                entered.add(s);
            }
        }
        if (entered.isEmpty()) {
            return Scope.NONE;
        }
        return (failure, cancelReason) -> {
            for (int i = entered.size() - 1; i >= 0; i--) {
                entered.get(i).exit(failure, cancelReason);
            }
        };
    }

    @Override
    public void runFinished(RunResult result) {
        // A run of a job removed while it went (a cancelled dynamic job) ends after the job's runs were dropped; it
        // would bring them back. Every job whose run ends was committed when the run started, so it is in lastSeen.
        if (lastSeen.containsKey(result.job())) {
            history.add(result);
        }
        truth.runEnded(result);
        modules.forEach(m -> m.runFinished(result));
        if (!listeners.isEmpty()) {
            var run = Views.run(result);
            tell("runFinished", l -> l.runFinished(run));
        }
    }

    @Override
    public void runProgressed(QName job, long runId, double fraction, String message) {
        for (AttachedModule m : modules) {
            m.runProgressed(job, runId, fraction, message);
        }
    }

    @Override
    public void misfired(QName job, Instant firstMissed, long missed, int toRun) {
        tell("jobMisfired", l -> l.jobMisfired(job, firstMissed, missed, toRun));
    }

    /** @param plugins every plugin the host knows now, for the modules */
    public void pluginsChanged(List<PluginNode> plugins) {
        modules.forEach(m -> m.pluginsChanged(plugins));
    }

    /** @param plugin a plugin that loaded */
    public void pluginLoaded(LoadedPlugin plugin) {
        tell("pluginLoaded", l -> l.pluginLoaded(Views.plugin(plugin)));
    }

    /** @param problem a plugin or job that was refused */
    public void pluginRefused(PluginProblem problem) {
        tell("pluginRefused", l -> l.pluginRefused(Views.problem(problem)));
    }

    private void tellListeners(JobRecord before, JobRecord now) {
        JobView job = Views.job(now, List.of(), Optional.empty());
        Optional<Instant> next = Views.firesNextAt(now);
        if (next.isPresent() && (before == null || !next.equals(Views.firesNextAt(before)))) {
            tell("jobScheduled", l -> l.jobScheduled(job, next.get()));
        }
        if (now.status() == JobStatus.ORPHANED && (before == null || before.status() != JobStatus.ORPHANED)) {
            tell("jobOrphaned", l -> l.jobOrphaned(job));
        }
    }

    private void tell(String event, Consumer<HostListener> call) {
        for (HostListener l : listeners) {
            try {
                call.accept(l);
            } catch (RuntimeException | LinkageError e) {
                // An application's listener must not be able to stop a run's bookkeeping or the timer.
                log.warn("listener {} failed on {}: {}", l.getClass().getName(), event, e.toString());
            }
        }
    }
}

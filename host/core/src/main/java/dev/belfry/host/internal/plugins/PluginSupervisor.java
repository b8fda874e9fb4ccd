package dev.belfry.host.internal.plugins;

import dev.belfry.api.BackgroundJob;
import dev.belfry.api.JobSpec;
import dev.belfry.api.QName;
import dev.belfry.api.schedule.InvalidScheduleException;
import dev.belfry.host.internal.state.WriteProtection;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.BasicFileAttributes;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.Optional;
import java.util.Set;
import java.util.TreeMap;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.TimeUnit;
import java.util.stream.Collectors;
import java.util.stream.Stream;
import org.pf4j.PluginDependency;
import org.pf4j.PluginDescriptor;
import org.pf4j.PluginState;
import org.pf4j.PluginWrapper;
import org.pf4j.VersionManager;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Keeps the plugins folder and the running plugins in step: loads new jars and folders, stops removed or replaced
 * ones (their dependents first), and refuses bad ones with a reason naming the file. One plugin's failure never
 * stops another from loading, and a plugin that waits for a missing dependency loads as soon as it appears.
 *
 * <p>A new or changed file is acted on only once it has looked the same on two scans in a row, so a jar that is
 * still being copied is never loaded half-written; the first scan at start-up loads at once. Of several files with
 * one plugin id the highest version runs; the others are superseded until it goes. A refused or superseded file is
 * not read again until it changes, so a hostile one costs nothing on later scans.
 */
public final class PluginSupervisor implements AutoCloseable {
    private static final Logger log = LoggerFactory.getLogger(PluginSupervisor.class);
    /**
     * A truncated jar modified less than this long ago is taken for a copy that stalled (a slow network share, a
     * paused upload) and waited for instead of refused.
     */
    static final Duration INCOMPLETE_COPY_WAIT = Duration.ofSeconds(30);
    /**
     * A plugin jar larger than this is refused before it is hashed or read: hashing a huge (or sparse) file would
     * stall every scan and {@code plugins reload} for as long as it takes.
     */
    static final long MAX_JAR_BYTES = 256L << 20;
    static final String MAX_JAR_TEXT = "256 MiB";
    /** Refused jobs logged one by one per plugin load; the rest are counted in one line (they still reach status). */
    static final int MAX_REFUSED_JOB_LINES = 20;

    private final Path pluginsDir;
    private final BelfryPluginManager manager;
    private final PluginListener listener;
    private final ScheduleValidator validator;
    private final PluginTrust trust;
    private final FolderListing folderListing;
    /**
     * Set while the plugins folder cannot be listed: the failure is logged once, not on every scan, and logged again
     * only after a listing has succeeded in between.
     */
    private boolean listingFailed;
    /** Entries named like a jar that are not regular files (a FIFO, a device), reported once while they stay. */
    private final Set<Path> notRegular = new java.util.HashSet<>();
    /** Files others may change, reported once while they stay so; their code never loads. */
    private final Set<Path> unprotected = new java.util.HashSet<>();
    /** Why the folder itself is not safe to load from, once reported; null while it is. */
    private String unsafeFolder;
    /** Files refused for want of a pin: considered again when the pin file changes. */
    private final Set<Path> untrusted = new java.util.HashSet<>();

    /** Fingerprints from the previous scan, to tell whether a file has settled. */
    private Map<Path, Fingerprint> previousScan = Map.of();
    /** Files acted on for good (loaded, or refused for a reason of their own), with the fingerprint acted on. */
    private final Map<Path, Fingerprint> settled = new HashMap<>();
    /** Loaded plugins by file, in start order. */
    private final Map<Path, String> loaded = new LinkedHashMap<>();
    /** Files set aside for a higher version of the same plugin id, with the file that won. */
    private final Map<Path, Path> superseded = new HashMap<>();
    /**
     * Superseded files already logged as such: logged once while they stay unchanged and set aside, even when a yet
     * higher version takes over as the winner later (that upgrade has a log line of its own).
     */
    private final Set<Path> reportedSuperseded = new java.util.HashSet<>();
    /** Files waiting for something outside them (a dependency, a free plugin id), with the reason last reported. */
    private final Map<Path, String> waiting = new HashMap<>();
    private boolean firstScanDone;
    /** The last refusal or wait reported, so that a reload can tell its caller why the plugin is not back. */
    private PluginProblem lastProblem;
    /**
     * The running plugins as last published. Loads, reloads and scans hold this object's monitor while plugin code
     * runs; readers use this copy so that they never wait for them.
     */
    private volatile List<RunningPlugin> running = List.of();
    private ScheduledExecutorService scanner;

    /**
     * @param pluginsDir    the folder of plugin jars and exploded plugin folders
     * @param systemVersion the host version plugins' {@code Plugin-Requires} is checked against
     * @param listener      told of every start, stop and problem
     * @param validator     checks each job's schedule before it is accepted
     */
    public PluginSupervisor(Path pluginsDir, String systemVersion, PluginListener listener,
                            ScheduleValidator validator) {
        this(pluginsDir, systemVersion, listener, validator, PluginTrust.off());
    }

    /**
     * @param pluginsDir    the folder of plugin jars and exploded plugin folders
     * @param systemVersion the host version plugins' {@code Plugin-Requires} is checked against
     * @param listener      told of every start, stop and problem
     * @param validator     checks each job's schedule before it is accepted
     * @param trust         which jars may load at all, checked before anything of a jar is read
     */
    public PluginSupervisor(Path pluginsDir, String systemVersion, PluginListener listener,
                            ScheduleValidator validator, PluginTrust trust) {
        this(pluginsDir, systemVersion, listener, validator, trust, Files::list);
    }

    /** Lists a folder's entries; a seam so that tests can make a listing fail the way a full descriptor table does. */
    @FunctionalInterface
    interface FolderListing {
        Stream<Path> list(Path folder) throws IOException;
    }

    PluginSupervisor(Path pluginsDir, String systemVersion, PluginListener listener, ScheduleValidator validator,
                     PluginTrust trust, FolderListing folderListing) {
        this.folderListing = Objects.requireNonNull(folderListing, "folderListing");
        this.pluginsDir = Objects.requireNonNull(pluginsDir, "pluginsDir");
        this.manager = new BelfryPluginManager(pluginsDir, systemVersion);
        this.listener = Objects.requireNonNull(listener, "listener");
        this.validator = Objects.requireNonNull(validator, "validator");
        this.trust = Objects.requireNonNull(trust, "trust");
    }

    /**
     * Rescans the folder every {@code interval} on a background thread, for hot deployment.
     *
     * @param interval time between scans
     */
    public synchronized void watch(Duration interval) {
        if (scanner != null) {
            return;
        }
        scanner = Executors.newSingleThreadScheduledExecutor(r -> {
            Thread t = new Thread(r, "belfry-plugin-scanner");
            t.setDaemon(true);
            return t;
        });
        scanner.scheduleWithFixedDelay(this::scanQuietly, interval.toMillis(), interval.toMillis(),
                TimeUnit.MILLISECONDS);
    }

    private void scanQuietly() {
        try {
            scan();
        } catch (Exception | Error e) {
            // The scanner must outlive any one bad scan (a scheduled task that throws is never run again); the next
            // scan tries again.
            log.error("plugin folder scan failed: {}", oneLine(e), e);
        }
    }

    /**
     * Brings the running plugins in line with the folder once.
     */
    public synchronized void scan() {
        Optional<Map<Path, Fingerprint>> listed = listFolder();
        if (listed.isEmpty()) {
            // Not knowing what is in the folder is not the same as an empty folder: everything stays as it is.
            return;
        }
        Map<Path, Fingerprint> current = listed.get();
        for (Path file : new ArrayList<>(loaded.keySet())) {
            Fingerprint was = settled.get(file);
            String id = loaded.get(file);
            // id is null when an earlier iteration already stopped this plugin as a dependent.
            if (id != null && (!current.containsKey(file) || !current.get(file).equals(was))) {
                log.info("plugin {} ({}) was {}; stopping it", id, file.getFileName(),
                        current.containsKey(file) ? "replaced" : "removed");
                unload(id);
            }
        }
        if (trust.refresh()) {
            untrusted.forEach(settled::remove);
            untrusted.clear();
        }
        settled.keySet().removeIf(f -> !current.containsKey(f) || !current.get(f).equals(settled.get(f)));
        waiting.keySet().removeIf(f -> !current.containsKey(f));
        untrusted.removeIf(f -> !settled.containsKey(f));
        reportedSuperseded.removeIf(f -> !settled.containsKey(f));
        // A superseded file is considered again once its winner no longer runs.
        superseded.entrySet().removeIf(e -> {
            boolean release = !settled.containsKey(e.getKey()) || !loaded.containsKey(e.getValue());
            if (release) {
                settled.remove(e.getKey());
            }
            return release;
        });

        List<Path> candidates = new ArrayList<>();
        for (Map.Entry<Path, Fingerprint> e : current.entrySet()) {
            Path file = e.getKey();
            boolean steady = !firstScanDone || e.getValue().equals(previousScan.get(file));
            if (!settled.containsKey(file) && steady) {
                candidates.add(file);
            }
        }
        previousScan = current;
        firstScanDone = true;
        if (!candidates.isEmpty()) {
            loadAll(candidates, current);
        }
    }

    /**
     * A running plugin as operators see it.
     *
     * @param id           its id
     * @param version      its version
     * @param file         its jar or folder
     * @param dependencies the plugins it depends on
     */
    public record RunningPlugin(String id, String version, Path file, List<String> dependencies) {
    }

    /**
     * Answers at once, even while a scan or reload is loading a slow plugin: the list is the one published after the
     * last change.
     *
     * @return the running plugins, in start order
     */
    public List<RunningPlugin> plugins() {
        return running;
    }

    /** Publishes the running plugins for readers that must not wait for a load (the admin API, status). */
    private void publish() {
        List<RunningPlugin> out = new ArrayList<>();
        loaded.forEach((file, id) -> {
            PluginDescriptor d = manager.getPlugin(id).getDescriptor();
            out.add(new RunningPlugin(id, d.getVersion(), file,
                    d.getDependencies().stream().map(PluginDependency::getPluginId).toList()));
        });
        running = List.copyOf(out);
    }

    /**
     * What a {@link #reload} did.
     *
     * @param wasRunning false if no plugin of that id was running (nothing was done)
     * @param refusal    the one-line reason the plugin did not start again, if it did not
     */
    public record ReloadOutcome(boolean wasRunning, Optional<String> refusal) {
    }

    /**
     * Stops a running plugin (its dependents first) and starts it again from its file, without waiting for the
     * folder to change; its dependents start again on the next scan.
     *
     * @param id the plugin
     * @return whether it was running and, if it did not start again, why
     * @throws IllegalStateException if the plugins folder cannot be listed now; the plugin then keeps running
     */
    public synchronized ReloadOutcome reload(String id) {
        Path file = loadedFileOf(id);
        if (file == null) {
            return new ReloadOutcome(false, Optional.empty());
        }
        Map<Path, Fingerprint> now = listFolder().orElseThrow(() -> new IllegalStateException(
                "the plugins folder cannot be listed now; plugin " + id + " keeps running"));
        log.info("reloading plugin {} from {}", id, file.getFileName());
        unload(id);
        if (!now.containsKey(file)) {
            return new ReloadOutcome(true, Optional.of(file.getFileName() + " is no longer in " + pluginsDir));
        }
        lastProblem = null;
        loadAll(List.of(file), now);
        if (loadedFileOf(id) != null) {
            return new ReloadOutcome(true, Optional.empty());
        }
        // The refusal or wait was logged and reported as it happened; the caller gets the same text.
        return new ReloadOutcome(true, Optional.of(lastProblem == null ? file.getFileName() + " did not start"
                : lastProblem.toString()));
    }

    /** @return the ids of the running plugins, in start order; answers at once, like {@link #plugins()} */
    public List<String> pluginIds() {
        return running.stream().map(RunningPlugin::id).toList();
    }

    /**
     * Stops every plugin, dependents before what they depend on, and the folder watch.
     */
    @Override
    public synchronized void close() {
        if (scanner != null) {
            scanner.shutdownNow();
        }
        List<String> ids = new ArrayList<>(loaded.values());
        for (int i = ids.size() - 1; i >= 0; i--) {
            if (loaded.containsValue(ids.get(i))) {
                unload(ids.get(i));
            }
        }
    }

    private void loadAll(List<Path> files, Map<Path, Fingerprint> fingerprints) {
        Map<String, List<Candidate>> sameId = new TreeMap<>();
        Map<String, Candidate> byId = new TreeMap<>();
        for (Path file : files) {
            Fingerprint size = fingerprints.get(file);
            if (size != null && size.entries() == 1 && Files.isRegularFile(file) && size.size() > MAX_JAR_BYTES) {
                refuse(file, fingerprints, PluginProblem.ofFile(file, size.size() + " bytes, over the " + MAX_JAR_TEXT
                        + " limit for a plugin jar; not read"));
                continue;
            }
            Optional<String> distrust = trust.refusal(file);
            if (distrust.isPresent()) {
                refuse(file, fingerprints, PluginProblem.ofFile(file, distrust.get()));
                untrusted.add(file);
                continue;
            }
            PluginDescriptor d;
            try {
                d = manager.readDescriptor(file);
            } catch (DescriptorException e) {
                if (e.truncated() && recentlyModified(fingerprints.get(file))) {
                    waitForCopy(file, e.getMessage());
                    continue;
                }
                refuse(file, fingerprints, PluginProblem.ofFile(file, "no usable plugin descriptor: "
                        + e.getMessage()));
                continue;
            } catch (RuntimeException | LinkageError e) {
                refuse(file, fingerprints, PluginProblem.ofFile(file, "no usable plugin descriptor: " + oneLine(e)));
                continue;
            }
            try {
                PluginIds.check(d.getPluginId());
            } catch (IllegalArgumentException e) {
                refuse(file, fingerprints, PluginProblem.ofFile(file, "no usable plugin descriptor: "
                        + e.getMessage()));
                continue;
            }
            String id = d.getPluginId();
            String descriptorProblem = checkVersion(d);
            if (descriptorProblem == null) {
                descriptorProblem = checkDependencyIds(d);
            }
            if (descriptorProblem == null) {
                descriptorProblem = checkRequires(d);
            }
            if (descriptorProblem != null) {
                refuse(file, fingerprints, PluginProblem.ofPlugin(file, id, descriptorProblem));
                continue;
            }
            sameId.computeIfAbsent(id, k -> new ArrayList<>()).add(new Candidate(file, d));
        }
        // The winner of each id is chosen before anything is set aside, so that every other file is reported against
        // the file that really wins, not against whichever it happened to be compared with first.
        for (Map.Entry<String, List<Candidate>> e : sameId.entrySet()) {
            String id = e.getKey();
            // Files come in name order: on equal versions the first one wins.
            Candidate best = e.getValue().get(0);
            for (Candidate c : e.getValue()) {
                if (compareVersions(c.descriptor, best.descriptor) > 0) {
                    best = c;
                }
            }
            // Against a running plugin of the same id, only a higher version is a candidate (an upgrade).
            Path running = loadedFileOf(id);
            PluginDescriptor runningDescriptor = running == null ? null : manager.getPlugin(id).getDescriptor();
            boolean upgrade = running == null || compareVersions(best.descriptor, runningDescriptor) > 0;
            if (upgrade) {
                byId.put(id, best);
            }
            for (Candidate c : e.getValue()) {
                if (upgrade && c != best) {
                    supersede(c.file, c.descriptor, best.file, best.descriptor, fingerprints);
                } else if (!upgrade) {
                    supersede(c.file, c.descriptor, running, runningDescriptor, fingerprints);
                }
            }
        }

        // Accept candidates whose dependencies are running or accepted, until nothing changes.
        List<Candidate> order = new ArrayList<>();
        Set<String> available = new LinkedHashSet<>(loaded.values());
        boolean progress = true;
        while (progress) {
            progress = false;
            for (Candidate c : byId.values()) {
                if (!order.contains(c) && dependencyProblem(c.descriptor, available, byId, false) == null) {
                    order.add(c);
                    available.add(c.descriptor.getPluginId());
                    progress = true;
                }
            }
        }
        for (Candidate c : byId.values()) {
            if (!order.contains(c)) {
                wait(c.file, PluginProblem.ofPlugin(c.file, c.descriptor.getPluginId(),
                        dependencyProblem(c.descriptor, available, byId, true)));
            }
        }
        for (Candidate c : order) {
            String id = c.descriptor.getPluginId();
            Path running = loadedFileOf(id);
            if (running != null) {
                // An upgrade whose dependencies are met: only now is the running version stopped for it.
                PluginDescriptor old = manager.getPlugin(id).getDescriptor();
                log.info("plugin {} {} in {} supersedes {} in {}; stopping the old one", id,
                        c.descriptor.getVersion(), c.file.getFileName(), old.getVersion(), running.getFileName());
                unload(id);
                supersede(running, old, c.file, c.descriptor, fingerprints);
            }
            load(c, fingerprints);
        }
    }

    private int compareVersions(PluginDescriptor a, PluginDescriptor b) {
        return manager.getVersionManager().compareVersions(a.getVersion(), b.getVersion());
    }

    /**
     * Sets a file aside for another of the same plugin id with a higher (or, for the file that came later, an equal)
     * version. It is not read again while the winner runs; if the winner goes (removed, replaced, refused), the next
     * scan considers it again.
     */
    private void supersede(Path loser, PluginDescriptor loserDescriptor, Path winner,
                           PluginDescriptor winnerDescriptor, Map<Path, Fingerprint> fingerprints) {
        Fingerprint f = fingerprints.get(loser);
        settled.put(loser, f != null ? f : settledOrCurrent(loser));
        superseded.put(loser, winner);
        String message = loserDescriptor.getVersion().equals(winnerDescriptor.getVersion())
                ? "has the same plugin id and version as " + winner.getFileName() + ", which is used; remove one"
                        + " of the two files"
                : "superseded by " + winner.getFileName() + " (version " + winnerDescriptor.getVersion()
                        + " is higher than " + loserDescriptor.getVersion() + "); it loads again only if "
                        + winner.getFileName() + " goes or cannot start";
        PluginProblem problem = PluginProblem.ofPlugin(loser, loserDescriptor.getPluginId(), message);
        boolean ambiguous = loserDescriptor.getVersion().equals(winnerDescriptor.getVersion());
        if (!message.equals(waiting.put(loser, message))) {
            if (reportedSuperseded.add(loser)) {
                if (ambiguous) {
                    // Not an upgrade waiting its turn: two copies, one of which the operator should remove.
                    log.warn("plugin superseded: {}", problem);
                } else {
                    log.info("plugin superseded: {}", problem);
                }
            } else {
                log.debug("plugin superseded: {}", problem);
            }
            listener.problem(problem); // status names the current winner
        }
    }

    private Fingerprint settledOrCurrent(Path file) {
        Fingerprint f = previousScan.get(file);
        if (f != null) {
            return f;
        }
        try {
            return Fingerprint.of(file);
        } catch (IOException e) {
            return null; // not looked at now: the file is looked at again when it changes
        }
    }

    /** @return why the descriptor's dependencies are not met, or null if they are */
    private String dependencyProblem(PluginDescriptor d, Set<String> available, Map<String, Candidate> candidates,
                                     boolean explain) {
        VersionManager versions = manager.getVersionManager();
        for (PluginDependency dep : d.getDependencies()) {
            String depId = dep.getPluginId();
            if (!available.contains(depId)) {
                if (dep.isOptional()) {
                    continue;
                }
                if (!explain) {
                    return "missing";
                }
                if (!candidates.containsKey(depId)) {
                    return "depends on plugin " + depId + ", which is not in the plugins folder; it loads when "
                            + depId + " is added";
                }
                return isOnCycle(depId, candidates)
                        ? "dependency cycle through plugin " + depId
                        : "depends on plugin " + depId + ", which cannot start yet";
            }
            String depVersion = versionOf(depId, candidates);
            String wanted = dep.getPluginVersionSupport();
            try {
                if (!versions.checkVersionConstraint(depVersion, wanted)) {
                    return "depends on plugin " + depId + " " + wanted + ", but version " + depVersion
                            + " is present";
                }
            } catch (RuntimeException e) {
                return "dependency on " + depId + " has an unusable version constraint \"" + wanted + "\": "
                        + oneLine(e);
            }
        }
        return null;
    }

    private boolean isOnCycle(String start, Map<String, Candidate> candidates) {
        Set<String> seen = new LinkedHashSet<>();
        List<String> todo = new ArrayList<>(List.of(start));
        while (!todo.isEmpty()) {
            Candidate c = candidates.get(todo.remove(todo.size() - 1));
            if (c == null) {
                continue;
            }
            for (PluginDependency dep : c.descriptor.getDependencies()) {
                if (dep.getPluginId().equals(start)) {
                    return true;
                }
                if (seen.add(dep.getPluginId())) {
                    todo.add(dep.getPluginId());
                }
            }
        }
        return false;
    }

    private String versionOf(String id, Map<String, Candidate> candidates) {
        Candidate c = candidates.get(id);
        if (c != null) {
            return c.descriptor.getVersion();
        }
        return manager.getPlugin(id).getDescriptor().getVersion();
    }

    /**
     * A version PF4J cannot parse would load, and then break every dependent's version check with a confusing
     * reason; refuse the plugin itself instead, naming the version.
     */
    private String checkVersion(PluginDescriptor d) {
        String version = d.getVersion();
        try {
            manager.getVersionManager().compareVersions(version, version);
            return null;
        } catch (RuntimeException e) {
            // The parser's own words ("Unexpected character EOI(null) at position 3, expecting [DOT]") add nothing
            // an author can act on beyond the expected form.
            return "unusable Plugin-Version \"" + version + "\" (expected a semantic version such as 1.2.0)";
        }
    }

    private static String checkDependencyIds(PluginDescriptor d) {
        for (PluginDependency dep : d.getDependencies()) {
            String depId = dep.getPluginId();
            if (depId.equals(d.getPluginId())) {
                return "Plugin-Dependencies names the plugin itself";
            }
            try {
                PluginIds.check(depId);
            } catch (IllegalArgumentException e) {
                String support = dep.getPluginVersionSupport();
                String entry = depId + ("*".equals(support) ? "" : "@" + support) + (dep.isOptional() ? "?" : "");
                return "unusable Plugin-Dependencies entry \"" + entry + "\": " + e.getMessage();
            }
        }
        return null;
    }

    /** PF4J reports a missing or wrong Plugin-Class as a NullPointerException; say what is wrong instead. */
    private String checkPluginClass(PluginDescriptor d, String id) {
        String name = d.getPluginClass();
        if (name == null || name.isBlank()) {
            return null; // PF4J then uses a plain Plugin
        }
        try {
            Class<?> type = Class.forName(name.strip(), false, manager.getPluginClassLoader(id));
            return org.pf4j.Plugin.class.isAssignableFrom(type) ? null
                    : "Plugin-Class " + name + " does not extend org.pf4j.Plugin";
        } catch (ClassNotFoundException | LinkageError e) {
            return "Plugin-Class " + name + " cannot be loaded from the plugin: " + oneLine(e);
        }
    }

    private String checkRequires(PluginDescriptor d) {
        String raw = d.getRequires() == null ? "" : d.getRequires();
        // trim() would also strip control characters and turn e.g. "x\u0000" into a constraint that accepts all.
        if (raw.strip().chars().anyMatch(Character::isISOControl)) {
            return "unusable Plugin-Requires: it contains control characters";
        }
        String requires = raw.trim();
        if (requires.isEmpty() || "*".equals(requires)) {
            return null;
        }
        try {
            String constraint = requires.matches("^\\d+\\.\\d+\\.\\d+$") ? ">=" + requires : requires;
            return manager.getVersionManager().checkVersionConstraint(manager.getSystemVersion(), constraint)
                    ? null
                    : "requires host version " + requires + ", but this host is " + manager.getSystemVersion();
        } catch (RuntimeException e) {
            return "unusable Plugin-Requires \"" + requires + "\": " + oneLine(e);
        }
    }

    private void load(Candidate c, Map<Path, Fingerprint> fingerprints) {
        Path file = c.file;
        String id = c.descriptor.getPluginId();
        if (listener.isReservedNamespace(id)) {
            refuse(file, fingerprints, PluginProblem.ofPlugin(file, id, "the application registers its own jobs"
                    + " under namespace " + id + ", so no plugin may have that id"));
            return;
        }
        Optional<String> unprotectedEntry = unprotectedInside(file);
        if (unprotectedEntry.isPresent()) {
            refuse(file, fingerprints, PluginProblem.ofPlugin(file, id, unprotectedEntry.get()));
            return;
        }
        List<String> extensions;
        try {
            manager.loadPlugin(file);
            String classProblem = checkPluginClass(c.descriptor, id);
            if (classProblem != null) {
                discard(id);
                refuse(file, fingerprints, PluginProblem.ofPlugin(file, id, classProblem));
                return;
            }
            try {
                // Read before any plugin code runs: a plugin with a hostile index never starts.
                extensions = manager.extensionIndex(id);
            } catch (DescriptorException e) {
                discard(id);
                refuse(file, fingerprints, PluginProblem.ofPlugin(file, id, e.getMessage()));
                return;
            }
            manager.startOrThrow(id);
        } catch (Exception | Error e) {
            // Plugin.start is plugin code: whatever it throws (Errors such as AssertionError or StackOverflowError
            // included, and checked exceptions thrown sneakily) refuses this plugin, never the host or the scan.
            discard(id);
            refuse(file, fingerprints, PluginProblem.ofPlugin(file, id, "failed to start: " + oneLine(e)));
            return;
        }
        settled.put(file, fingerprints.get(file));
        waiting.remove(file);
        reportedSuperseded.remove(file);
        loaded.put(file, id);
        listener.pluginLoading(file, id);
        publish();
        LoadedPlugin plugin = new LoadedPlugin(id, c.descriptor.getVersion(), file,
                c.descriptor.getDependencies().stream().map(PluginDependency::getPluginId).toList(),
                collectJobs(file, id, extensions), manager.getPluginClassLoader(id));
        log.info("plugin {} {} loaded from {} with {} job(s)", id, plugin.version(), file.getFileName(),
                plugin.jobs().size());
        try {
            listener.pluginStarted(plugin);
        } catch (RuntimeException e) {
            // Some of its jobs may be missing: refused like a plugin whose start threw, never reported as running.
            log.debug("registering the jobs of plugin {} failed", id, e);
            loaded.remove(file);
            try {
                listener.pluginStopping(id);
            } catch (RuntimeException again) {
                log.error("stopping the jobs of plugin {} failed: {}", id, oneLine(again), again);
            }
            discard(id);
            refuse(file, fingerprints, PluginProblem.ofPlugin(file, id, "registering its jobs failed: " + oneLine(e)));
        }
    }

    private List<PluginJob> collectJobs(Path file, String id, List<String> extensions) {
        ClassLoader loader = manager.getPluginClassLoader(id);
        Map<String, List<PluginJob>> byName = new TreeMap<>();
        int[] refused = {0};
        for (String className : extensions) {
            try {
                Class<?> type = Class.forName(className, false, loader);
                if (!BackgroundJob.class.isAssignableFrom(type)) {
                    continue;
                }
                BackgroundJob job = (BackgroundJob) manager.getExtensionFactory().create(type);
                if (job == null) {
                    throw new IllegalStateException("PF4J could not create an instance");
                }
                JobSpec spec = job.spec();
                if (spec == null) {
                    throw new IllegalStateException("spec() returned null");
                }
                try {
                    validator.validate(spec.schedule());
                } catch (InvalidScheduleException e) {
                    refuseJob(PluginProblem.ofJob(file, id, spec.name(), e.forJob(id, spec.name()).getMessage()),
                            className, refused);
                    continue;
                }
                byName.computeIfAbsent(spec.name(), n -> new ArrayList<>())
                        .add(new PluginJob(new QName(id, spec.name()), spec, job));
            } catch (Exception | Error e) {
                refuseJob(PluginProblem.ofPlugin(file, id, "job class " + className + " refused: " + oneLine(e)),
                        className, refused);
            }
        }
        List<PluginJob> jobs = new ArrayList<>();
        byName.forEach((name, list) -> {
            if (list.size() == 1) {
                jobs.add(list.get(0));
            } else {
                String classes = list.stream().map(j -> j.job().getClass().getName()).collect(Collectors.joining(", "));
                refuseJob(PluginProblem.ofJob(file, id, name, "two or more jobs are named \"" + name
                        + "\" (" + classes + "); none of them is registered"), classes, refused);
            }
        });
        if (refused[0] > MAX_REFUSED_JOB_LINES) {
            log.warn("job refused: {}: plugin {}: and {} more job(s) refused, not logged one by one",
                    file.getFileName(), id, refused[0] - MAX_REFUSED_JOB_LINES);
        }
        return jobs;
    }

    /** Stops a plugin, its dependents first; they load again on the next scan if they can. */
    private void unload(String id) {
        for (String dependent : dependentsOf(id)) {
            if (loaded.containsValue(dependent)) {
                log.info("stopping plugin {} because it depends on {}", dependent, id);
                unload(dependent);
            }
        }
        Path file = loadedFileOf(id);
        try {
            listener.pluginStopping(id);
        } catch (RuntimeException e) {
            log.error("stopping the jobs of plugin {} failed: {}", id, oneLine(e), e);
        }
        discard(id);
        loaded.remove(file);
        settled.remove(file);
        publish();
        log.info("plugin {} stopped", id);
    }

    private void discard(String id) {
        if (manager.getPlugin(id) == null) {
            return;
        }
        try {
            manager.unloadPlugin(id);
        } catch (Exception | Error e) {
            log.warn("plugin {} did not stop cleanly: {}", id, oneLine(e));
            // PF4J catches only Exceptions from Plugin.stop: after an Error it keeps the plugin, so its id could
            // never load again and its class loader stays open. Count it as stopped and finish the unload.
            PluginWrapper w = manager.getPlugin(id);
            if (w != null) {
                w.setPluginState(PluginState.STOPPED);
                try {
                    manager.unloadPlugin(id);
                } catch (Exception | Error again) {
                    log.warn("plugin {} could not be unloaded: {}", id, oneLine(again));
                }
            }
        }
    }

    private List<String> dependentsOf(String id) {
        List<String> out = new ArrayList<>();
        for (String other : loaded.values()) {
            PluginWrapper w = manager.getPlugin(other);
            if (w != null && w.getDescriptor().getDependencies().stream().anyMatch(d -> d.getPluginId().equals(id))) {
                out.add(other);
            }
        }
        return out;
    }

    private Path loadedFileOf(String id) {
        for (Map.Entry<Path, String> e : loaded.entrySet()) {
            if (e.getValue().equals(id)) {
                return e.getKey();
            }
        }
        return null;
    }

    private void refuse(Path file, Map<Path, Fingerprint> fingerprints, PluginProblem problem) {
        settled.put(file, fingerprints.get(file));
        waiting.remove(file);
        reportedSuperseded.remove(file);
        lastProblem = problem;
        log.error("plugin refused: {}", problem);
        listener.problem(problem);
    }

    /**
     * A job is refused and the rest of its plugin runs: a warning, with the class so the author finds it; status
     * lists the same text as the log. Past {@link #MAX_REFUSED_JOB_LINES} in one load the rest are only counted in
     * the log.
     */
    private void refuseJob(PluginProblem problem, String jobClasses, int[] refusedSoFar) {
        PluginProblem named = problem.toString().contains(jobClasses) ? problem
                : new PluginProblem(problem.file(), problem.pluginId(), problem.jobName(),
                        problem.message() + " (job class " + jobClasses + ")");
        if (refusedSoFar[0]++ < MAX_REFUSED_JOB_LINES) {
            log.warn("job refused: {}", named);
        }
        listener.problem(named);
    }

    /** Reports a problem that may go away by itself (once per distinct reason). */
    private void wait(Path file, PluginProblem problem) {
        lastProblem = problem;
        if (!problem.message().equals(waiting.put(file, problem.message()))) {
            log.warn("plugin waiting: {}", problem);
            listener.problem(problem);
        }
    }

    /** File times are wall-clock times, so the wall clock is what they are compared with. */
    private static boolean recentlyModified(Fingerprint f) {
        if (f == null) {
            return false;
        }
        long age = System.currentTimeMillis() - f.modifiedMillis();
        // A modification time in the future is not "recent": such a file would otherwise be waited for for good.
        return age >= 0 && age < INCOMPLETE_COPY_WAIT.toMillis();
    }

    /**
     * A jar that looks cut off and was modified moments ago: not refused yet, only noted once in the log (not as a
     * problem in status); it is read again on each scan and loads once complete, or is refused once it has stayed
     * unchanged and cut off for {@link #INCOMPLETE_COPY_WAIT}.
     */
    private void waitForCopy(Path file, String reason) {
        String message = "incomplete (still being copied?): " + reason + "; it is refused if it stays so for "
                + INCOMPLETE_COPY_WAIT.toSeconds() + " s";
        if (!message.equals(waiting.put(file, message))) {
            log.info("plugin waiting: {}: {}", file.getFileName(), message);
        }
    }

    /**
     * @return what is in the folder, or empty when it cannot be listed now (for example while the process has run out
     *         of file descriptors); a folder that does not exist is listed as empty
     */
    private Optional<Map<Path, Fingerprint>> listFolder() {
        Map<Path, Fingerprint> out = new TreeMap<>();
        if (!Files.isDirectory(pluginsDir)) {
            return Optional.of(out);
        }
        Set<Path> oddFiles = new java.util.HashSet<>();
        Set<Path> foreign = new java.util.HashSet<>();
        try {
            Optional<String> folderProblem = writeProtection(pluginsDir);
            if (folderProblem.isPresent()) {
                if (!folderProblem.get().equals(unsafeFolder)) {
                    unsafeFolder = folderProblem.get();
                    log.error("plugins folder {} {}; anyone who can write there runs code as this host, so no plugin"
                            + " is loaded or changed until that is fixed", pluginsDir, unsafeFolder);
                }
                return Optional.empty();
            }
            unsafeFolder = null;
        } catch (IOException e) {
            log.warn("cannot read the owner and mode of plugins folder {}: {}", pluginsDir, oneLine(e));
            return Optional.empty();
        }
        try (Stream<Path> entries = folderListing.list(pluginsDir)) {
            for (Path p : (Iterable<Path>) entries::iterator) {
                String name = p.getFileName().toString();
                if (name.startsWith(".")) {
                    continue;
                }
                if (Files.isDirectory(p) || (Files.isRegularFile(p) && name.endsWith(".jar"))) {
                    Optional<String> problem = writeProtection(p);
                    if (problem.isPresent()) {
                        foreign.add(p);
                        if (unprotected.add(p)) {
                            PluginProblem refused = PluginProblem.ofFile(p, "the file " + problem.get()
                                    + "; anyone who can write a plugin runs code as this host");
                            log.error("plugin refused: {}", refused);
                            listener.problem(refused);
                        }
                        continue;
                    }
                    Fingerprint f = Fingerprint.of(p);
                    if (f != null) {
                        out.put(p, f);
                    }
                } else if (name.endsWith(".jar") && Files.exists(p)) {
                    oddFiles.add(p);
                }
            }
        } catch (IOException | java.io.UncheckedIOException e) {
            if (!listingFailed) {
                listingFailed = true;
                log.warn("cannot list plugins folder {}: {}; the running plugins stay as they are until it can be"
                        + " listed again", pluginsDir, oneLine(e));
            }
            return Optional.empty();
        }
        listingFailed = false;
        unprotected.retainAll(foreign);
        notRegular.retainAll(oddFiles);
        for (Path p : oddFiles) {
            if (notRegular.add(p)) {
                PluginProblem problem = PluginProblem.ofFile(p, "not a regular file; plugins must be jar files"
                        + " or folders");
                log.error("plugin refused: {}", problem);
                listener.problem(problem);
            }
        }
        return Optional.of(out);
    }

    private static Optional<String> writeProtection(Path p) throws IOException {
        return WriteProtection.problem(p);
    }

    /**
     * An exploded plugin is all the files in its folder: one that others may write (a class file, a nested folder)
     * is code they run as this host, so it refuses the plugin when it loads, as a jar others may write does.
     */
    private static Optional<String> unprotectedInside(Path plugin) {
        if (!Files.isDirectory(plugin)) {
            return Optional.empty();
        }
        try (Stream<Path> entries = Files.walk(plugin)) {
            for (Path p : (Iterable<Path>) entries::iterator) {
                Optional<String> problem = WriteProtection.problem(p);
                if (problem.isPresent()) {
                    return Optional.of((p.equals(plugin) ? "the folder" : plugin.relativize(p) + " in it") + " "
                            + problem.get() + "; anyone who can write a plugin runs code as this host");
                }
            }
            return Optional.empty();
        } catch (IOException | java.io.UncheckedIOException e) {
            return Optional.of("cannot read the owners and modes of its files: " + oneLine(e));
        }
    }

    /** One line for a log or an operator: the exception and, if different, its root cause. */
    static String oneLine(Throwable e) {
        Throwable root = e;
        while (root.getCause() != null && root.getCause() != root) {
            root = root.getCause();
        }
        String text = describe(e) + (root == e ? "" : " (caused by " + describe(root) + ")");
        return text.replaceAll("\\s*[\\r\\n]+\\s*", " ");
    }

    private static String describe(Throwable t) {
        String m = t.getMessage();
        return t.getClass().getSimpleName() + (m == null || m.isBlank() ? "" : ": " + m);
    }

    private record Candidate(Path file, PluginDescriptor descriptor) {
    }

    /** What a file or folder looked like: size, newest modification and entry count. */
    private record Fingerprint(long size, long modifiedMillis, long entries) {
        /** @throws IOException if the file is there but cannot be looked at now */
        static Fingerprint of(Path p) throws IOException {
            try {
                if (Files.isRegularFile(p)) {
                    BasicFileAttributes a = Files.readAttributes(p, BasicFileAttributes.class);
                    return new Fingerprint(a.size(), a.lastModifiedTime().toMillis(), 1);
                }
                long[] acc = new long[3];
                try (Stream<Path> walk = Files.walk(p)) {
                    walk.forEach(f -> {
                        try {
                            BasicFileAttributes a = Files.readAttributes(f, BasicFileAttributes.class);
                            acc[0] += a.isRegularFile() ? a.size() : 0;
                            acc[1] = Math.max(acc[1], a.lastModifiedTime().toMillis());
                            acc[2]++;
                        } catch (IOException e) {
                            acc[2] += 1_000_000; // unreadable now: differs from any steady state
                        }
                    });
                }
                return new Fingerprint(acc[0], acc[1], acc[2]);
            } catch (java.nio.file.NoSuchFileException e) {
                return null; // vanished while being looked at
            } catch (java.io.UncheckedIOException e) {
                if (e.getCause() instanceof java.nio.file.NoSuchFileException) {
                    return null;
                }
                // Any other failure (no file descriptor left to walk a folder) says nothing about the folder: a
                // plugin must not look removed because of it.
                throw e.getCause();
            }
        }
    }
}

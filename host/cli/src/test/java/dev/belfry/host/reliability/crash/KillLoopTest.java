package dev.belfry.host.reliability.crash;

import static org.assertj.core.api.Assertions.assertThat;

import dev.belfry.api.QName;
import dev.belfry.api.schedule.Schedule;
import dev.belfry.host.reliability.Depth;
import dev.belfry.sidecar.JobRecord;
import dev.belfry.sidecar.JobStatus;
import dev.belfry.sidecar.LoadResult;
import dev.belfry.sidecar.SidecarDocument;
import dev.belfry.sidecar.SidecarUnusableException;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Random;
import java.util.Set;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The kill loop: a real host in a child JVM, hundreds of jobs churning state, killed with SIGKILL at seeded random
 * moments and restarted, with the state checked after every kill and every restart.
 *
 * <p>Every state the test reads is checked against the one it read before (a chain: before the kill, after the kill,
 * after the restart): it parses (the {@code .bak} fallback is counted); every job is still there unless it is a
 * dynamic job the plugin logged as cancelled; no job's run or failure count went down. From the Once jobs' fsync'd
 * fire log: no Once job fired twice for its instant, every logged fire had its start on disk (durable start), and
 * after the restart such a job is COMPLETED or FAILED, never armed again. No ERROR line may appear in a host's log.
 */
class KillLoopTest {
    private static final Duration ARMED_LIMIT = Duration.ofSeconds(90);
    private static final int TICKS = 200;

    @TempDir
    Path root;

    private final Figures armedSeen = new Figures();
    private final Figures armedByHostClock = new Figures();
    private final Figures hostInit = new Figures();

    @Test
    void shouldLoseNoJobNorCounterAndFireNoOnceJobTwiceWhenKilledAtRandomMoments() throws Exception {
        long seed = Depth.seed();
        int cycles = Integer.getInteger("belfry.crash.cycles", Depth.pick(50, 500));
        int onceCount = Depth.pick(100, 500);
        Random random = new Random(seed);
        String replay = "seed " + seed + " (replay with -Dbelfry.seed=" + seed + ")";
        System.out.println("[crash] kill loop: " + cycles + " cycles, " + replay);

        Path data = Files.createDirectories(root.resolve("data"));
        Path plugins = Files.createDirectories(root.resolve("plugins"));
        Path logs = Files.createDirectories(root.resolve("logs"));
        Path scratch = Files.createDirectories(root.resolve("scratch"));
        // Once jobs spread over the expected run (about 3 s a cycle); those due while the host is down fire late.
        long spacing = Math.max(200, cycles * 3_000L / onceCount);
        ChurnPlugin.write(plugins, TICKS, onceCount, Instant.now().plusSeconds(8), spacing, seed);

        Optional<SidecarDocument> reference = Optional.empty();
        Set<String> loggedAtKill = Set.of();
        Set<String> onceCutOff = new HashSet<>();
        int earlyKills = 0;
        int backupLoads = 0;
        long runningAtKill = 0;
        long jobsChecked = 0;
        int maxJobs = 0;
        long started = System.nanoTime();

        for (int cycle = 1; cycle <= cycles; cycle++) {
            String where = "cycle " + cycle + ", " + replay;
            boolean early = random.nextInt(100) < 15;
            int killAfter = early ? 100 + random.nextInt(1_400) : random.nextInt(Depth.pick(1_500, 2_500));
            try (HostProcess host = HostProcess.launch(data, plugins, logs,
                    logs.resolve("host-" + cycle + ".out"), logs.resolve("host-" + cycle + ".err"))) {
                if (early) {
                    earlyKills++;
                    Thread.sleep(killAfter); // somewhere in JVM start, state load, plugin load or the first fires
                } else {
                    armedSeen.add(host.awaitArmed(ARMED_LIMIT));
                    // A commit from after the host said it is armed: the restore's own commit (cut-off runs recorded,
                    // jobs still PENDING) can be on disk first, one group commit ahead of the attached state.
                    SidecarDocument restarted = awaitCommitAfter(data, Instant.now(), host, where);
                    host.logTimes().ifPresent(t -> {
                        armedByHostClock.add(t.launchToArmed());
                        hostInit.add(t.startToArmed());
                    });
                    jobsChecked += check(reference, restarted, where + ", after restart");
                    onceCutOff.addAll(checkOnceJobs(restarted, loggedAtKill,
                            Set.of(JobStatus.COMPLETED, JobStatus.FAILED), where + ", after restart"));
                    reference = Optional.of(restarted);
                    Thread.sleep(killAfter);
                }
                Optional<SidecarDocument> beforeKill = StateFiles.readMain(data);
                if (beforeKill.isPresent()) {
                    jobsChecked += check(reference, beforeKill.get(), where + ", before kill");
                    reference = beforeKill;
                }
                host.kill();
                assertThat(host.log()).as("ERROR lines in the host's log, %s", where).doesNotContain(" ERROR ");
            }

            LoadResult loaded;
            try {
                loaded = StateFiles.loadCopy(data, scratch);
            } catch (SidecarUnusableException e) {
                throw new AssertionError("state unusable after the kill, " + where + ": " + e.getMessage(), e);
            }
            if (loaded.source() == LoadResult.Source.BACKUP) {
                backupLoads++;
            }
            assertThat(loaded.source() == LoadResult.Source.NONE && reference.isPresent())
                    .as("state file gone after the kill, %s", where).isFalse();
            SidecarDocument afterKill = loaded.document();
            jobsChecked += check(reference, afterKill, where + ", after kill");
            Set<String> logged = new HashSet<>();
            readOnceLog(logs, where).forEach(f -> logged.add(f.qname));
            loggedAtKill = logged;
            // PENDING: a kill during start-up, after the restore recorded a cut-off run but before the plugin attached.
            checkOnceJobs(afterKill, loggedAtKill, Set.of(JobStatus.RUNNING, JobStatus.PENDING, JobStatus.COMPLETED,
                    JobStatus.FAILED), where + ", after kill");
            runningAtKill += afterKill.jobs().stream().filter(j -> j.status() == JobStatus.RUNNING).count();
            maxJobs = Math.max(maxJobs, afterKill.jobs().size());
            if (loaded.source() != LoadResult.Source.NONE) {
                reference = Optional.of(afterKill);
            }
        }

        // A last start, then a graceful stop: everything settles, nothing is left RUNNING.
        int exit;
        SidecarDocument last;
        try (HostProcess host = HostProcess.launch(data, plugins, logs, logs.resolve("host-final.out"),
                logs.resolve("host-final.err"))) {
            armedSeen.add(host.awaitArmed(ARMED_LIMIT));
            // As after each restart above: a commit from after "armed", not the restore's own (jobs still PENDING).
            SidecarDocument restarted = awaitCommitAfter(data, Instant.now(), host, "final start, " + replay);
            host.logTimes().ifPresent(t -> {
                armedByHostClock.add(t.launchToArmed());
                hostInit.add(t.startToArmed());
            });
            jobsChecked += check(reference, restarted, "final start, " + replay);
            onceCutOff.addAll(checkOnceJobs(restarted, loggedAtKill, Set.of(JobStatus.COMPLETED, JobStatus.FAILED),
                    "final start, " + replay));
            reference = Optional.of(restarted);
            exit = host.terminate(Duration.ofSeconds(60));
            assertThat(host.log()).as("ERROR lines in the host's log, final start, %s", replay)
                    .doesNotContain(" ERROR ");
        }
        assertThat(exit).as("exit code after SIGTERM, %s", replay).isEqualTo(143);
        last = StateFiles.readMain(data).orElseThrow();
        jobsChecked += check(reference, last, "after graceful stop, " + replay);
        assertThat(last.jobs()).as("jobs left RUNNING by a graceful stop, %s", replay)
                .noneMatch(j -> j.status() == JobStatus.RUNNING);
        List<OnceFire> fires = readOnceLog(logs, "end, " + replay);

        long took = Duration.ofNanos(System.nanoTime() - started).toSeconds();
        System.out.printf("[crash] kill loop summary: seed %d, cycles %d, kills %d (%d during start-up), %d s;"
                        + " restart-to-armed (seen by the test) %s; host clock, launch to armed %s; host start to armed"
                        + " %s; jobs checked %d (max %d jobs in the state); runs cut off (RUNNING at a kill) %d;"
                        + " Once fires %d, Once runs cut off and recorded FAILED %d, duplicate Once fires 0;"
                        + " .bak fallbacks %d%n",
                seed, cycles, cycles, earlyKills, took, armedSeen.summary(), armedByHostClock.summary(),
                hostInit.summary(), jobsChecked, maxJobs, runningAtKill, fires.size(), onceCutOff.size(), backupLoads);
        assertThat(backupLoads).as(".bak fallbacks (a kill never tears the main file), %s", replay).isZero();
    }

    /**
     * Checks {@code now} against the previous state: every job still there (unless a dynamic job the plugin logged as
     * cancelled), no counter gone down.
     *
     * @return how many jobs were checked
     */
    private int check(Optional<SidecarDocument> previous, SidecarDocument now, String where) throws IOException {
        if (previous.isEmpty()) {
            return 0;
        }
        Set<String> cancelled = readCancelLog();
        Map<QName, JobRecord> current = new HashMap<>();
        now.jobs().forEach(j -> current.put(j.qname(), j));
        List<String> problems = new ArrayList<>();
        for (JobRecord before : previous.get().jobs()) {
            JobRecord after = current.get(before.qname());
            if (after == null) {
                if (!(before.dynamic() && cancelled.contains(before.qname().name()))) {
                    problems.add(before.qname() + " is gone (dynamic " + before.dynamic() + ", status "
                            + before.status() + ")");
                }
                continue;
            }
            if (after.runCount() < before.runCount()) {
                problems.add(before.qname() + " run_count went down: " + before.runCount() + " -> " + after.runCount());
            }
            if (after.failureCount() < before.failureCount()) {
                problems.add(before.qname() + " failure_count went down: " + before.failureCount() + " -> "
                        + after.failureCount());
            }
        }
        assertThat(problems).as("state %s compared with the state read before (written %s, now %s)", where,
                previous.get().writtenAt(), now.writtenAt()).isEmpty();
        return previous.get().jobs().size();
    }

    /**
     * Every Once job in the fire log must have had its start on disk and be in one of {@code allowed}.
     *
     * @return the Once jobs recorded FAILED because a kill cut their run off
     */
    private static Set<String> checkOnceJobs(SidecarDocument state, Set<String> logged, Set<JobStatus> allowed,
                                             String where) {
        List<String> problems = new ArrayList<>();
        Set<String> cutOff = new HashSet<>();
        for (String qname : logged) {
            Optional<JobRecord> job = state.job(QName.parse(qname));
            if (job.isEmpty()) {
                problems.add(qname + " fired but is not in the state");
                continue;
            }
            JobRecord r = job.get();
            if (r.runCount() < 1 || !allowed.contains(r.status())) {
                problems.add(qname + " fired but the state says status " + r.status() + ", run_count " + r.runCount());
            }
            if (r.status() == JobStatus.FAILED && r.lastOutcome().map(o -> o.message().contains("host stopped"))
                    .orElse(false)) {
                cutOff.add(qname);
            }
            assertThat(r.schedule()).isInstanceOf(Schedule.Once.class);
        }
        assertThat(problems).as("Once jobs with a logged fire, %s (durable start: a fire's start is on disk before"
                + " its code runs, and a fired Once job is never armed again)", where).isEmpty();
        return cutOff;
    }

    private record OnceFire(String qname, String scheduledFor, int attempt) {
    }

    private static List<OnceFire> readOnceLog(Path logs, String where) throws IOException {
        Path file = logs.resolve(ChurnPlugin.ONCE_LOG);
        if (!Files.exists(file)) {
            return List.of();
        }
        String text = Files.readString(file, StandardCharsets.UTF_8);
        List<OnceFire> fires = new ArrayList<>();
        Map<String, Integer> seen = new HashMap<>();
        List<String> duplicates = new ArrayList<>();
        String[] lines = text.split("\n", -1);
        for (int i = 0; i < lines.length - 1; i++) { // the last element follows the last newline
            String[] f = lines[i].split(" ");
            OnceFire fire = new OnceFire(f[0], f[1], Integer.parseInt(f[2]));
            fires.add(fire);
            String key = fire.qname + " " + fire.scheduledFor;
            if (seen.merge(key, 1, Integer::sum) > 1) {
                duplicates.add(lines[i]);
            }
            assertThat(fire.attempt).as("attempt of a Once fire with no retries: %s, %s", lines[i], where)
                    .isEqualTo(1);
        }
        assertThat(duplicates).as("Once jobs that fired twice for the same instant, %s", where).isEmpty();
        return fires;
    }

    private Set<String> readCancelLog() throws IOException {
        Path file = root.resolve("logs").resolve(ChurnPlugin.CANCEL_LOG);
        return Files.exists(file) ? new HashSet<>(Files.readAllLines(file, StandardCharsets.UTF_8)) : Set.of();
    }

    /** The first state the new host wrote: its restore, its plugins attached, its first fires. */
    private static SidecarDocument awaitCommitAfter(Path data, Instant launched, HostProcess host, String where)
            throws IOException, InterruptedException {
        long deadline = System.nanoTime() + Duration.ofSeconds(30).toNanos();
        while (System.nanoTime() < deadline) {
            Optional<SidecarDocument> doc = StateFiles.readMain(data);
            if (doc.isPresent() && doc.get().writtenAt().isAfter(launched)) {
                return doc.get();
            }
            Thread.sleep(10);
        }
        throw new AssertionError("the restarted host wrote no state within 30 s, " + where + "; log tail:\n"
                + host.tail(30));
    }
}

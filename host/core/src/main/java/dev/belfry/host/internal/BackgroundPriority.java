package dev.belfry.host.internal;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.concurrent.TimeUnit;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Lowers the CPU priority of background threads (the graph's, the journal's checkpoints, the admin server's and the
 * dashboard's, and in {@code belfry run} the JIT compiler's), so that they take the cores the engine's timer and
 * workers leave, and a fire never waits behind a graph write, a checkpoint or a page for a core.
 *
 * <p>Linux keeps a nice value per thread and a new thread starts with its creator's, so lowering the thread that
 * starts Neo4j (or the mirror's thread, which creates the driver's I/O threads) lowers every thread it goes on to
 * make. The JDK has no call for it: the thread finds its own id in {@code /proc/thread-self} and runs
 * {@code renice} on it. Elsewhere, or if that fails, the threads keep the host's priority (logged at debug); the
 * graph works the same, only without the protection.
 */
public final class BackgroundPriority {
    private static final Logger log = LoggerFactory.getLogger(BackgroundPriority.class);
    /** How much nicer than the host background threads run: at 10, a contended core gives them about a tenth. */
    public static final int NICENESS = 10;
    private static final int MAX_NICE = 19;
    private static final Path THREAD_SELF = Path.of("/proc/thread-self");

    private BackgroundPriority() {
    }

    /**
     * Makes the calling thread, and the threads it creates from now on, {@link #NICENESS} nicer than it is.
     *
     * @return whether the thread's nice value is now the lowered one
     */
    public static boolean lowerCurrentThread() {
        if (!Files.isDirectory(THREAD_SELF)) {
            log.debug("no {}: background threads keep the host's CPU priority", THREAD_SELF);
            return false;
        }
        try {
            Path self = THREAD_SELF.toRealPath(); // /proc/<pid>/task/<tid>, fixed for this thread
            return lower(self);
        } catch (IOException | RuntimeException e) {
            log.debug("background threads keep the host's CPU priority: {}", e.toString());
            return false;
        }
    }

    /** Makes the thread whose directory under /proc this is {@link #NICENESS} nicer; whether it took. */
    private static boolean lower(Path task) throws IOException {
        int target = Math.min(MAX_NICE, nice(task) + NICENESS);
        String tid = task.getFileName().toString();
        // Absolute value, positional form: util-linux and BSD read it the same way.
        Process renice = new ProcessBuilder("renice", Integer.toString(target), "-p", tid)
                .redirectErrorStream(true).redirectOutput(ProcessBuilder.Redirect.DISCARD).start();
        try {
            if (!renice.waitFor(5, TimeUnit.SECONDS)) {
                renice.destroyForcibly();
            }
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            return false;
        }
        boolean lowered = nice(task) == target;
        if (!lowered) {
            log.debug("renice {} -p {} left the thread at nice {}", target, tid, nice(task));
        }
        return lowered;
    }

    /**
     * Makes the JVM's JIT compiler threads {@link #NICENESS} nicer, and so the compiler threads they start later: a
     * method compiled while the host's cores are busy (a dashboard's page code, first used long after start) then
     * waits for a core instead of taking one a fire needs. Compiled code runs the same; it only arrives later under
     * load. For a process that is a Belfry host and nothing else ({@code belfry run}): an application that embeds
     * Belfry decides this for its own JVM.
     *
     * @return how many compiler threads were lowered (0 where the JVM names them otherwise, or not on Linux)
     */
    public static int lowerCompilerThreads() {
        Path tasks = Path.of("/proc/self/task");
        if (!Files.isDirectory(tasks)) {
            return 0;
        }
        List<Path> threads;
        try (var listed = Files.list(tasks)) {
            threads = listed.toList();
        } catch (IOException | RuntimeException e) { // a thread ending while listed: UncheckedIOException
            log.debug("JIT compiler threads keep the host's CPU priority: {}", e.toString());
            return 0;
        }
        int lowered = 0;
        for (Path task : threads) {
            try {
                // HotSpot's "C1 CompilerThread0", "C2 CompilerThread1", cut to 15 characters by Linux
                String name = Files.readString(task.resolve("comm"), StandardCharsets.US_ASCII).strip();
                if (name.matches("C[12] CompilerThre.*") && lower(task)) {
                    lowered++;
                }
            } catch (IOException | RuntimeException e) {
                log.debug("JIT compiler thread {} keeps the host's CPU priority: {}", task, e.toString());
            }
        }
        return lowered;
    }

    /** The nice value in {@code stat}: the 19th field, the 17th after the command name (which may hold spaces). */
    public static int nice(Path taskDir) throws IOException {
        String stat = Files.readString(taskDir.resolve("stat"), StandardCharsets.US_ASCII);
        String[] fields = stat.substring(stat.lastIndexOf(')') + 2).split(" ");
        return Integer.parseInt(fields[16]);
    }
}

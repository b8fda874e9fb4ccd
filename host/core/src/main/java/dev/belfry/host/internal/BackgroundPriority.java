package dev.belfry.host.internal;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.concurrent.TimeUnit;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Lowers the CPU priority of background threads (the graph's, the journal's checkpoints), so that they take the
 * cores the engine's timer and workers leave, and a fire never waits behind a graph write or a checkpoint for a
 * core.
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
            String tid = self.getFileName().toString();
            int target = Math.min(MAX_NICE, nice(self) + NICENESS);
            // Absolute value, positional form: util-linux and BSD read it the same way.
            Process renice = new ProcessBuilder("renice", Integer.toString(target), "-p", tid)
                    .redirectErrorStream(true).redirectOutput(ProcessBuilder.Redirect.DISCARD).start();
            if (!renice.waitFor(5, TimeUnit.SECONDS)) {
                renice.destroyForcibly();
            }
            boolean lowered = nice(self) == target;
            if (!lowered) {
                log.debug("renice {} -p {} left the thread at nice {}", target, tid, nice(self));
            }
            return lowered;
        } catch (IOException | RuntimeException e) {
            log.debug("graph threads keep the host's CPU priority: {}", e.toString());
            return false;
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            return false;
        }
    }

    /** The nice value in {@code stat}: the 19th field, the 17th after the command name (which may hold spaces). */
    public static int nice(Path taskDir) throws IOException {
        String stat = Files.readString(taskDir.resolve("stat"), StandardCharsets.US_ASCII);
        String[] fields = stat.substring(stat.lastIndexOf(')') + 2).split(" ");
        return Integer.parseInt(fields[16]);
    }
}

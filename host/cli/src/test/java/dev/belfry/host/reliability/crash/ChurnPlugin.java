package dev.belfry.host.reliability.crash;

import dev.belfry.host.testing.PluginJarBuilder;
import java.nio.file.Path;
import java.time.Instant;
import java.util.Random;

/**
 * The kill loop's plugin, {@value #ID}: a jar compiled at test time with many fast periodic jobs (some failing now
 * and then), a churner that adds and cancels dynamic jobs through {@code context.scheduler()}, and durable-start
 * Once jobs that append {@code qname scheduledFor attempt} to an fsync'd log before holding their worker a while.
 *
 * <p>The jobs find their log folder in the system property {@value #DIR_PROPERTY} of the host's JVM. The churner
 * appends the name of every dynamic job to the cancel log (fsync'd) <em>before</em> cancelling it, so a job that
 * disappears from the state is always explained by that log.
 */
final class ChurnPlugin {
    static final String ID = "churn";
    static final String DIR_PROPERTY = "belfry.crash.dir";
    static final String ONCE_LOG = "once-fires.log";
    static final String CANCEL_LOG = "cancelled-dynamic.log";
    /** How many dynamic jobs the churner keeps alive: it cancels {@code dyn-(n - KEEP)} when it adds {@code dyn-n}. */
    static final int KEEP_DYNAMIC = 20;

    private ChurnPlugin() {
    }

    /**
     * @param dir         where to write the jar
     * @param ticks       number of periodic jobs
     * @param onceCount   number of Once jobs
     * @param firstOnce   the first Once job's instant
     * @param onceSpacing milliseconds between Once jobs' instants
     * @param seed        picks periods, failure rates and hold times
     * @return the jar
     */
    static Path write(Path dir, int ticks, int onceCount, Instant firstOnce, long onceSpacing, long seed) {
        Random random = new Random(seed);
        PluginJarBuilder jar = PluginJarBuilder.plugin(ID)
                .source("crash.Tick", TICK)
                .source("crash.OnceFire", ONCE)
                .source("crash.AppendLog", APPEND_LOG)
                .source("crash.DynTick", DYN_TICK)
                .extension("crash.Churner", CHURNER.replace("%KEEP%", Integer.toString(KEEP_DYNAMIC)));
        for (int i = 0; i < ticks; i++) {
            long every = 50 + random.nextInt(151);
            boolean fixedDelay = random.nextInt(5) == 0;
            int failPermille = random.nextInt(4) == 0 ? 50 : random.nextInt(10) == 0 ? 500 : 0;
            String cls = String.format("T%03d", i);
            jar.extension("crash." + cls, "package crash;\npublic class " + cls + " extends Tick {\n  public " + cls
                    + "() { super(\"" + tickName(i) + "\", " + every + "L, " + fixedDelay + ", " + failPermille
                    + "); }\n}\n");
        }
        for (int i = 0; i < onceCount; i++) {
            long at = firstOnce.toEpochMilli() + i * onceSpacing;
            long hold = 100 + random.nextInt(700);
            String cls = String.format("O%03d", i);
            jar.extension("crash." + cls, "package crash;\npublic class " + cls + " extends OnceFire {\n  public "
                    + cls + "() { super(\"" + onceName(i) + "\", " + at + "L, " + hold + "L); }\n}\n");
        }
        return jar.writeTo(dir, ID + ".jar");
    }

    static String tickName(int i) {
        return String.format("tick-%03d", i);
    }

    static String onceName(int i) {
        return String.format("once-%03d", i);
    }

    private static final String APPEND_LOG = """
            package crash;
            import java.nio.ByteBuffer;
            import java.nio.channels.FileChannel;
            import java.nio.charset.StandardCharsets;
            import java.nio.file.Path;
            import java.nio.file.StandardOpenOption;
            /** Appends one line in one write and forces it to disk before returning. */
            final class AppendLog {
                private AppendLog() {
                }
                static synchronized void append(String file, String line) throws java.io.IOException {
                    Path path = Path.of(System.getProperty("belfry.crash.dir"), file);
                    try (FileChannel ch = FileChannel.open(path, StandardOpenOption.CREATE, StandardOpenOption.WRITE,
                            StandardOpenOption.APPEND)) {
                        ByteBuffer buf = ByteBuffer.wrap((line + "\\n").getBytes(StandardCharsets.UTF_8));
                        while (buf.hasRemaining()) {
                            ch.write(buf);
                        }
                        ch.force(true);
                    }
                }
            }
            """;

    private static final String TICK = """
            package crash;
            import dev.belfry.api.*;
            import dev.belfry.api.schedule.*;
            import java.time.Duration;
            import java.util.concurrent.ThreadLocalRandom;
            /** A fast periodic job that fails now and then. */
            public abstract class Tick implements BackgroundJob {
                private final String name;
                private final long every;
                private final boolean fixedDelay;
                private final int failPermille;
                protected Tick(String name, long every, boolean fixedDelay, int failPermille) {
                    this.name = name;
                    this.every = every;
                    this.fixedDelay = fixedDelay;
                    this.failPermille = failPermille;
                }
                public JobSpec spec() {
                    return JobSpec.builder(name, Schedule.every(Duration.ofMillis(every),
                            fixedDelay ? PeriodicMode.FIXED_DELAY : PeriodicMode.FIXED_RATE, Duration.ZERO)).build();
                }
                public void run(JobContext c) {
                    if (ThreadLocalRandom.current().nextInt(1000) < failPermille) {
                        throw new IllegalStateException("planned failure of " + c.qname());
                    }
                }
            }
            """;

    private static final String ONCE = """
            package crash;
            import dev.belfry.api.*;
            import dev.belfry.api.schedule.*;
            import java.time.Instant;
            /** A durable-start Once job with no retries: logs its fire (fsync'd), then holds its worker a while. */
            public abstract class OnceFire implements BackgroundJob {
                private final String name;
                private final long at;
                private final long hold;
                protected OnceFire(String name, long at, long hold) {
                    this.name = name;
                    this.at = at;
                    this.hold = hold;
                }
                public JobSpec spec() {
                    return JobSpec.builder(name, Schedule.once(Instant.ofEpochMilli(at))).retry(RetryPolicy.none())
                            .build();
                }
                public void run(JobContext c) throws Exception {
                    AppendLog.append("once-fires.log", c.qname() + " " + c.scheduledFor() + " " + c.attempt() + " "
                            + c.firedAt());
                    try {
                        Thread.sleep(hold); // widens the window in which a kill finds the run in progress
                    } catch (InterruptedException e) {
                        Thread.currentThread().interrupt();
                    }
                }
            }
            """;

    private static final String DYN_TICK = """
            package crash;
            import dev.belfry.api.*;
            import dev.belfry.api.schedule.*;
            import java.time.Duration;
            /** A dynamic periodic job added by the churner. */
            public final class DynTick implements BackgroundJob {
                private final String name;
                private final long every;
                public DynTick(String name, long every) {
                    this.name = name;
                    this.every = every;
                }
                public JobSpec spec() {
                    return JobSpec.builder(name, Schedule.every(Duration.ofMillis(every))).build();
                }
                public void run(JobContext c) {
                }
            }
            """;

    private static final String CHURNER = """
            package crash;
            import dev.belfry.api.*;
            import dev.belfry.api.schedule.*;
            import java.time.Duration;
            /**
             * Adds dyn-n and cancels dyn-(n - KEEP) on every run; n is its checkpoint. The victim is logged (fsync'd)
             * before the cancel, so the test can tell a cancelled job from a lost one.
             */
            public final class Churner implements BackgroundJob {
                public JobSpec spec() {
                    return JobSpec.builder("churner", Schedule.every(Duration.ofMillis(100))).build();
                }
                public void run(JobContext c) throws Exception {
                    long n = c.checkpoint().map(Long::parseLong).orElse(0L) + 1;
                    c.scheduler().replace(new DynTick("dyn-" + n, 60 + (n % 5) * 30));
                    long victim = n - %KEEP%;
                    if (victim > 0) {
                        AppendLog.append("cancelled-dynamic.log", "dyn-" + victim);
                        c.scheduler().cancel("dyn-" + victim);
                    }
                    c.saveCheckpoint(Long.toString(n));
                }
            }
            """;
}

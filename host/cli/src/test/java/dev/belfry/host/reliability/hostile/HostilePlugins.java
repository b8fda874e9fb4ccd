package dev.belfry.host.reliability.hostile;

import static dev.belfry.host.testing.PluginJarBuilder.plugin;

import dev.belfry.host.testing.PluginJarBuilder;

/**
 * The hostile plugins, as Java sources compiled into real plugin jars at test time. Each job reports to {@link Probe}
 * where a test needs to see inside it; loops that ignore interrupts end only once {@link Probe#release()} is called,
 * so a test can clean up the threads the host had to abandon.
 */
final class HostilePlugins {
    private HostilePlugins() {
    }

    /** A job class: {@code spec} is a JobSpec expression, {@code body} the statements of {@code run(ctx)}. */
    static String job(String pkg, String cls, String spec, String body) {
        return "package " + pkg + ";\n"
                + "import dev.belfry.api.*;\n"
                + "import dev.belfry.api.schedule.*;\n"
                + "import dev.belfry.host.reliability.hostile.Probe;\n"
                + "import java.time.*;\n"
                + "public class " + cls + " implements BackgroundJob {\n"
                + "  public JobSpec spec() { return " + spec + "; }\n"
                + "  public void run(JobContext ctx) throws Exception {\n" + body + "\n  }\n"
                + "}\n";
    }

    private static String every(String name, long millis) {
        return "JobSpec.builder(\"" + name + "\", Schedule.every(Duration.ofMillis(" + millis + "))).build()";
    }

    private static String manual(String name, String extra) {
        return "JobSpec.builder(\"" + name + "\", Schedule.manual())" + extra + ".build()";
    }

    /** The healthy plugin whose fire lag the tests watch: {@code canary.tick} every 100 ms, fixed rate. */
    static PluginJarBuilder canary() {
        return plugin("canary").extension("p.canary.Tick", job("p.canary", "Tick", every("tick", 100),
                "Probe.canaryFired(ctx.scheduledFor());"));
    }

    /** Jobs that throw: checked, unchecked, an Error of its own, a stack overflow, a failed static initialiser. */
    static PluginJarBuilder thrower() {
        String pkg = "p.hthrow";
        return plugin("hostile-throw")
                .extension(pkg + ".Checked", job(pkg, "Checked",
                        "JobSpec.builder(\"checked\", Schedule.every(Duration.ofMillis(250)))"
                                + ".retry(RetryPolicy.exponential(3, Duration.ofMillis(10))).build()",
                        "throw new java.io.IOException(\"checked boom\");"))
                .extension(pkg + ".Unchecked", job(pkg, "Unchecked", every("unchecked", 250),
                        "throw new IllegalStateException(\"unchecked boom\");"))
                .extension(pkg + ".Erroneous", job(pkg, "Erroneous", every("error", 300),
                        "throw new PluginError(\"error boom\");"))
                .source(pkg + ".PluginError", "package " + pkg + ";\n"
                        + "public class PluginError extends Error {\n"
                        + "  public PluginError(String m) { super(m); }\n"
                        + "}\n")
                .extension(pkg + ".Overflow", job(pkg, "Overflow", every("overflow", 1000),
                        "deeper(0);\n  }\n  private static int deeper(int n) { return deeper(n + 1) + 1;"))
                .extension(pkg + ".BadInit", job(pkg, "BadInit", every("bad-init", 500),
                        "Bad.touch();"))
                .source(pkg + ".Bad", "package " + pkg + ";\n"
                        + "public class Bad {\n"
                        + "  static final int VALUE = Integer.parseInt(\"not a number\");\n"
                        + "  public static int touch() { return VALUE; }\n"
                        + "}\n");
    }

    /**
     * Jobs that never end by themselves: interruptible, deaf to interrupts, spinning, and a cooperative one. The deaf
     * and spinning jobs allow overlapping runs, so every trigger gets a thread of its own to abandon (the worst
     * case; under the default SKIP a job's abandoned run makes its further fires skip until its code returns).
     */
    static PluginJarBuilder hanger() {
        String pkg = "p.hhang";
        return plugin("hostile-hang")
                .extension(pkg + ".Sleeper", job(pkg, "Sleeper",
                        "JobSpec.builder(\"sleeper\", Schedule.every(Duration.ofSeconds(1)))"
                                + ".timeout(Duration.ofMillis(300)).build()",
                        "try { Thread.sleep(Long.MAX_VALUE); } finally { Probe.count(\"sleeper.ended\"); }"))
                .extension(pkg + ".Deaf", job(pkg, "Deaf", manual("deaf",
                        ".timeout(Duration.ofMillis(300)).overlap(OverlapPolicy.ALLOW)"),
                        "Probe.count(\"deaf.started\");\n"
                                + "while (!Probe.released()) {\n"
                                + "  try { Thread.sleep(20); } catch (InterruptedException e) { Probe.count(\"deaf.ignored\"); }\n"
                                + "}\n"
                                + "Probe.count(\"deaf.ended\");"))
                .extension(pkg + ".Spinner", job(pkg, "Spinner", manual("spinner",
                        ".timeout(Duration.ofMillis(500)).overlap(OverlapPolicy.ALLOW)"),
                        "Probe.count(\"spinner.started\");\n"
                                + "long n = 0;\n"
                                + "while (!Probe.released()) { n++; }\n"
                                + "Probe.count(\"spinner.ended\");"))
                .extension(pkg + ".Polite", job(pkg, "Polite",
                        "JobSpec.builder(\"polite\", Schedule.every(Duration.ofSeconds(1)))"
                                + ".timeout(Duration.ofMillis(200)).build()",
                        "java.util.concurrent.CountDownLatch stop = new java.util.concurrent.CountDownLatch(1);\n"
                                + "ctx.onCancel(stop::countDown);\n"
                                + "stop.await();\n"
                                + "Probe.count(\"polite.stopped\");"));
    }

    /** Jobs that try to end the JVM: System.exit, Runtime.halt, and System.exit from a thread the plugin starts. */
    static PluginJarBuilder exiter() {
        String pkg = "p.hexit";
        return plugin("hostile-exit")
                .extension(pkg + ".Exit", job(pkg, "Exit", manual("exit", ""), "System.exit(3);"))
                .extension(pkg + ".Halt", job(pkg, "Halt", manual("halt", ""), "Runtime.getRuntime().halt(4);"))
                .extension(pkg + ".ExitThread", job(pkg, "ExitThread", manual("exit-thread", ""),
                        "Throwable[] caught = new Throwable[1];\n"
                                + "Thread t = new Thread(() -> {\n"
                                + "  try { System.exit(5); } catch (Throwable e) { caught[0] = e; }\n"
                                + "}, \"plugin-exit-thread\");\n"
                                + "t.start();\n"
                                + "t.join();\n"
                                + "if (caught[0] != null) { throw new IllegalStateException(\"own thread: \" + caught[0].getMessage()); }"));
    }

    /** A job that writes {@code mb} megabytes to each of standard out and standard error per run, every 200 ms. */
    static PluginJarBuilder flooder(int mb) {
        String pkg = "p.hflood";
        return plugin("hostile-flood")
                .extension(pkg + ".Flood", job(pkg, "Flood", every("flood", 200),
                        "String line = \"x\".repeat(1023);\n"
                                + "for (int i = 0; i < " + mb + " * 1024 && !ctx.isCancelled(); i++) {\n"
                                + "  System.out.println(line);\n"
                                + "  System.err.println(line);\n"
                                + "}\n"
                                + "Probe.count(\"flood.runs\");"));
    }

    /**
     * Dynamic-job abuse: {@code spawn} adds {@code belfry.test.dynCount} dynamic jobs (fixed rate every 10 s, spread
     * over the period), tries a duplicate, replaces a hundred; {@code reap} cancels them all again.
     */
    static PluginJarBuilder spawner() {
        String pkg = "p.hdyn";
        return plugin("hostile-dyn")
                .extension(pkg + ".Spawn", job(pkg, "Spawn", manual("spawn", ""),
                        "int n = Integer.getInteger(\"belfry.test.dynCount\", 2000);\n"
                                + "for (int i = 0; i < n; i++) { ctx.scheduler().add(new Dyn(i)); }\n"
                                + "try { ctx.scheduler().add(new Dyn(0)); Probe.note(\"dyn: duplicate accepted\"); }\n"
                                + "catch (IllegalStateException e) { Probe.note(\"dyn: duplicate refused: \" + e.getMessage()); }\n"
                                + "for (int i = 0; i < 100 && i < n; i++) { ctx.scheduler().replace(new Dyn(i)); }\n"
                                + "Probe.count(\"dyn.spawned\");"))
                .extension(pkg + ".Reap", job(pkg, "Reap", manual("reap", ""),
                        "int removed = 0;\n"
                                + "for (QName q : ctx.scheduler().jobs()) {\n"
                                + "  if (q.name().startsWith(\"d-\") && ctx.scheduler().cancel(q.name())) { removed++; }\n"
                                + "}\n"
                                + "Probe.note(\"dyn: reaped \" + removed);"))
                .source(pkg + ".Dyn", "package " + pkg + ";\n"
                        + "import dev.belfry.api.*;\n"
                        + "import dev.belfry.api.schedule.*;\n"
                        + "import java.time.Duration;\n"
                        + "public class Dyn implements BackgroundJob {\n"
                        + "  private final int i;\n"
                        + "  public Dyn(int i) { this.i = i; }\n"
                        + "  public JobSpec spec() {\n"
                        + "    return JobSpec.builder(\"d-\" + i, Schedule.every(Duration.ofSeconds(10),"
                        + " PeriodicMode.FIXED_RATE, Duration.ofMillis((i * 37L) % 10_000))).build();\n"
                        + "  }\n"
                        + "  public void run(JobContext ctx) { dev.belfry.host.reliability.hostile.Probe.count(\"dyn.ran\"); }\n"
                        + "}\n");
    }

    /** Tries to reach another plugin's jobs through its own {@code JobScheduler}; notes each answer. */
    static PluginJarBuilder intruder() {
        String pkg = "p.hcross";
        return plugin("hostile-cross")
                .extension(pkg + ".Intrude", job(pkg, "Intrude", manual("intrude", ""),
                        "JobScheduler s = ctx.scheduler();\n"
                                + "Probe.note(\"cross: namespace \" + s.namespace());\n"
                                + "try { Probe.note(\"cross: cancel(canary.tick) returned \" + s.cancel(\"canary.tick\")); }\n"
                                + "catch (RuntimeException e) { Probe.note(\"cross: cancel(canary.tick) refused: \" + e.getMessage()); }\n"
                                + "Probe.note(\"cross: cancel(tick) returned \" + s.cancel(\"tick\"));\n"
                                + "Probe.note(\"cross: sees \" + s.jobs());\n"
                                + "Probe.note(\"cross: added \" + s.add(new Decoy()));\n"))
                .source(pkg + ".Decoy", job(pkg, "Decoy", manual("tick", ""), ""));
    }

    /** Reaches past the namespace with reflection: the scheduler's engine, then {@code Engine.cancel(QName)}. */
    static PluginJarBuilder reflector(String victim) {
        String pkg = "p.hreflect";
        return plugin("hostile-reflect")
                .extension(pkg + ".Reflect", job(pkg, "Reflect", manual("reflect", ""),
                        "Object scheduler = ctx.scheduler();\n"
                                + "java.lang.reflect.Field f = scheduler.getClass().getDeclaredField(\"engine\");\n"
                                + "f.setAccessible(true);\n"
                                + "Object engine = f.get(scheduler);\n"
                                + "engine.getClass().getMethod(\"cancel\", QName.class).invoke(engine, QName.parse(\""
                                + victim + "\"));\n"
                                + "Probe.note(\"reflect: cancelled " + victim + " through \" + engine.getClass().getName());"));
    }

    /**
     * Jobs that allocate without bound: {@code hog} into a local list (garbage once the run dies), {@code leak} into
     * a static one in 1 MiB chunks (kept as long as the plugin's class
     * loader is reachable; less than a chunk stays free, so the host's own small allocations still fit).
     */
    static PluginJarBuilder hogger() {
        String pkg = "p.hhog";
        return plugin("hostile-hog")
                .extension(pkg + ".Hog", job(pkg, "Hog", manual("hog", ""),
                        "java.util.List<byte[]> hoard = new java.util.ArrayList<>();\n"
                                + "while (true) { hoard.add(new byte[1 << 20]); }"))
                .extension(pkg + ".Leak", job(pkg, "Leak", manual("leak", ""),
                        "while (true) { Hoard.HOARD.add(new byte[1 << 20]); }"))
                .source(pkg + ".Hoard", "package " + pkg + ";\n"
                        + "public class Hoard {\n"
                        + "  public static final java.util.List<byte[]> HOARD = new java.util.ArrayList<>();\n"
                        + "}\n");
    }

    /** A plugin whose {@code Plugin.start} or {@code stop} runs {@code body}. */
    static PluginJarBuilder lifecycle(String id, String method, String body) {
        String pkg = "p." + id.replace('-', '_');
        return plugin(id).pluginClass(pkg + ".Lifecycle")
                .source(pkg + ".Lifecycle", "package " + pkg + ";\n"
                        + "public class Lifecycle extends org.pf4j.Plugin {\n"
                        + "  public void " + method + "() {\n" + body + "\n  }\n"
                        + "  static int deeper(int n) { return deeper(n + 1) + 1; }\n"
                        + "}\n")
                .extension(pkg + ".Job", job(pkg, "Job", manual("job", ""), ""));
    }
}

package dev.belfry.host.internal.plugins;

import static dev.belfry.host.testing.PluginJarBuilder.plugin;
import static org.assertj.core.api.Assertions.assertThat;

import ch.qos.logback.classic.Level;
import dev.belfry.api.BackgroundJob;
import dev.belfry.api.schedule.InvalidScheduleException;
import dev.belfry.api.schedule.Schedule;
import dev.belfry.host.testing.LogCapture;
import dev.belfry.host.testing.PluginJarBuilder;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.FileTime;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import java.util.Optional;
import java.util.stream.Collectors;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;
import org.junit.jupiter.api.io.TempDir;

class PluginSupervisorTest {

    @TempDir
    Path plugins;

    private final Recorder recorder = new Recorder();
    private PluginSupervisor supervisor;

    /** Refused and waiting plugins are logged: asserted by {@link #assertProblemsLogged()}, kept off the console. */
    @RegisterExtension
    final LogCapture log = LogCapture.ofNames(PluginSupervisor.class.getName(), "org.pf4j");

    @AfterEach
    void stop() {
        if (supervisor != null) {
            supervisor.close();
        }
    }

    /** Source of a job class with the given name and schedule expression (Java). */
    static String job(String pkg, String cls, String jobName, String scheduleJava) {
        return "package " + pkg + ";\n"
                + "import dev.belfry.api.*;\n"
                + "import dev.belfry.api.schedule.Schedule;\n"
                + "public class " + cls + " implements BackgroundJob {\n"
                + "  public JobSpec spec() { return JobSpec.builder(\"" + jobName + "\", " + scheduleJava + ").build(); }\n"
                + "  public void run(JobContext c) { }\n"
                + "}\n";
    }

    static PluginJarBuilder withJob(String id, String jobName) {
        String pkg = "p." + id.replace('-', '_');
        return plugin(id).extension(pkg + ".Job1", job(pkg, "Job1", jobName, "Schedule.manual()"));
    }

    /** Every problem reported so far is also in the log: at ERROR when refused, at WARN when waiting. */
    private void assertProblemsLogged() {
        for (String problem : recorder.problemLines()) {
            assertThat(log.lines(Level.WARN)).as("the log line for %s", problem)
                    .anyMatch(l -> l.contains("plugin refused: " + problem)
                            || l.contains("plugin waiting: " + problem));
        }
    }

    private PluginSupervisor supervisor() {
        supervisor = new PluginSupervisor(plugins, "1.0.0", recorder, schedule -> {
            if (schedule instanceof Schedule.Cron c && c.expression().startsWith("61")) {
                throw new InvalidScheduleException(c.expression(), "field 1 (minute) \"61\": out of range 0-59");
            }
        });
        return supervisor;
    }

    @Test
    void shouldStartAPluginAndHandOverItsValidJobs() {
        String pkg = "p.alpha";
        plugin("alpha")
                .extension(pkg + ".Nightly", job(pkg, "Nightly", "nightly", "Schedule.cron(\"0 3 * * *\")"))
                .extension(pkg + ".Manual", job(pkg, "Manual", "on-demand", "Schedule.manual()"))
                .writeTo(plugins, "alpha.jar");

        supervisor().scan();

        assertThat(recorder.started).containsOnlyKeys("alpha");
        assertThat(recorder.started.get("alpha").jobs()).extracting(j -> j.qname().toString())
                .containsExactlyInAnyOrder("alpha.nightly", "alpha.on-demand");
        assertThat(recorder.problems).isEmpty();
        assertThat(supervisor.pluginIds()).containsExactly("alpha");
    }

    @Test
    void shouldGiveJobsTheHostsPluginApiClasses() {
        withJob("alpha", "one").writeTo(plugins, "alpha.jar");

        supervisor().scan();

        BackgroundJob job = recorder.started.get("alpha").jobs().get(0).job();
        assertThat(job).isInstanceOf(BackgroundJob.class);
        assertThat(job.getClass().getClassLoader()).isNotSameAs(BackgroundJob.class.getClassLoader());
    }

    @Test
    void shouldRefuseAJarWithoutPluginIdNamingTheFileAndStillLoadTheOthers() {
        withJob("alpha", "one").withoutPluginId().writeTo(plugins, "broken.jar");
        withJob("beta", "one").writeTo(plugins, "beta.jar");

        supervisor().scan();

        assertThat(recorder.started).containsOnlyKeys("beta");
        assertThat(recorder.problemLines()).singleElement().asString()
                .startsWith("broken.jar: no usable plugin descriptor");
        assertProblemsLogged();
    }

    @Test
    void shouldRefuseAPluginWhoseStartThrowsAndStillLoadTheOthers() {
        plugin("gamma").pluginClass("p.gamma.GammaPlugin")
                .source("p.gamma.GammaPlugin", "package p.gamma;\n"
                        + "public class GammaPlugin extends org.pf4j.Plugin {\n"
                        + "  public void start() { throw new IllegalStateException(\"database is down\"); }\n"
                        + "}\n")
                .writeTo(plugins, "gamma.jar");
        withJob("beta", "one").writeTo(plugins, "beta.jar");

        supervisor().scan();

        assertThat(recorder.started).containsOnlyKeys("beta");
        assertThat(recorder.problemLines()).singleElement().asString()
                .startsWith("gamma.jar: plugin gamma: failed to start")
                .contains("database is down");
        assertProblemsLogged();
    }

    @Test
    void shouldLogOneLineNamingThePluginsOwnExceptionWhenItsStartThrows() {
        withJob("my-jobs", "one").version("1.5.0").pluginClass("p.my_jobs.JobsPlugin")
                .source("p.my_jobs.JobsPlugin", "package p.my_jobs;\n"
                        + "public class JobsPlugin extends org.pf4j.Plugin {\n"
                        + "  public void start() {\n"
                        + "    throw new IllegalStateException(\"cannot connect to the database\");\n"
                        + "  }\n"
                        + "}\n")
                .writeTo(plugins, "my-jobs-1.5.0.jar");

        supervisor().scan();

        // PF4J's own "Unable to start plugin" line and stack trace are not there, and the cause is not wrapped
        assertThat(log.lines(Level.WARN)).containsExactly("ERROR PluginSupervisor - plugin refused:"
                + " my-jobs-1.5.0.jar: plugin my-jobs: failed to start: IllegalStateException: cannot connect to the"
                + " database");
        assertThat(recorder.problemLines()).containsExactly("my-jobs-1.5.0.jar: plugin my-jobs: failed to start:"
                + " IllegalStateException: cannot connect to the database");
        assertThat(supervisor.pluginIds()).isEmpty();
    }

    @Test
    void shouldSayWhatIsWrongWithAMissingOrForeignPluginClass() {
        withJob("alpha", "one").pluginClass("p.alpha.Missing").writeTo(plugins, "alpha.jar");
        withJob("beta", "one").pluginClass("p.beta.NotAPlugin")
                .source("p.beta.NotAPlugin", "package p.beta;\npublic class NotAPlugin { }\n")
                .writeTo(plugins, "beta.jar");

        supervisor().scan();

        assertThat(recorder.started).isEmpty();
        assertThat(recorder.problemLines()).containsExactlyInAnyOrder(
                "alpha.jar: plugin alpha: Plugin-Class p.alpha.Missing cannot be loaded from the plugin:"
                        + " ClassNotFoundException: p.alpha.Missing",
                "beta.jar: plugin beta: Plugin-Class p.beta.NotAPlugin does not extend org.pf4j.Plugin");
        assertProblemsLogged();
    }

    @Test
    void shouldRefuseUnusableOrSelfDependencies() {
        withJob("alpha", "one").dependencies("alpha").writeTo(plugins, "alpha.jar");
        withJob("beta", "one").dependencies("@@@").writeTo(plugins, "beta.jar");

        supervisor().scan();

        assertThat(recorder.started).isEmpty();
        assertThat(recorder.problemLines()).anySatisfy(l -> assertThat(l)
                .isEqualTo("alpha.jar: plugin alpha: Plugin-Dependencies names the plugin itself"));
        assertThat(recorder.problemLines()).anySatisfy(l -> assertThat(l)
                .startsWith("beta.jar: plugin beta: unusable Plugin-Dependencies entry \"@@@\": invalid plugin id"));
        assertProblemsLogged();
    }

    @Test
    void shouldRefuseAPluginsRequiresWithControlCharactersRatherThanReadItAsAnyVersion() {
        withJob("alpha", "one").requires("x\u0000").writeTo(plugins, "alpha.jar");

        supervisor().scan();

        assertThat(recorder.started).isEmpty();
        assertThat(recorder.problemLines()).containsExactly(
                "alpha.jar: plugin alpha: unusable Plugin-Requires: it contains control characters");
        assertProblemsLogged();
    }

    @Test
    void shouldTellTheCallerOfAReloadWhyThePluginDidNotStartAgain() {
        withJob("alpha", "one").writeTo(plugins, "alpha.jar");
        supervisor().scan();
        withJob("alpha", "one").requires(">=2.0.0").writeTo(plugins, "alpha.jar");

        PluginSupervisor.ReloadOutcome outcome = supervisor.reload("alpha");

        assertThat(outcome.wasRunning()).isTrue();
        assertThat(outcome.refusal()).contains(
                "alpha.jar: plugin alpha: requires host version >=2.0.0, but this host is 1.0.0");
        assertThat(supervisor.pluginIds()).isEmpty();
        assertProblemsLogged();
    }

    @Test
    void shouldReportAReloadOfAPluginThatIsNotRunningAndASuccessfulOne() {
        withJob("alpha", "one").writeTo(plugins, "alpha.jar");
        supervisor().scan();

        assertThat(supervisor.reload("nope").wasRunning()).isFalse();
        assertThat(supervisor.reload("alpha")).isEqualTo(new PluginSupervisor.ReloadOutcome(true, Optional.empty()));
        assertThat(supervisor.pluginIds()).containsExactly("alpha");
    }

    @Test
    void shouldRefuseAPluginThatNeedsANewerHost() {
        withJob("alpha", "one").requires(">=2.0.0").writeTo(plugins, "alpha.jar");

        supervisor().scan();

        assertThat(recorder.started).isEmpty();
        assertThat(recorder.problemLines()).containsExactly(
                "alpha.jar: plugin alpha: requires host version >=2.0.0, but this host is 1.0.0");
        assertProblemsLogged();
    }

    @Test
    void shouldWaitForAMissingDependencyAndLoadOnceItArrives() throws IOException {
        withJob("child", "one").dependencies("parent").writeTo(plugins, "child.jar");
        supervisor().scan();

        assertThat(recorder.started).isEmpty();
        assertThat(recorder.problemLines()).containsExactly("child.jar: plugin child: depends on plugin parent,"
                + " which is not in the plugins folder; it loads when parent is added");

        withJob("parent", "one").writeTo(plugins, "parent.jar");
        supervisor.scan(); // sees the new jar
        supervisor.scan(); // the jar has settled: load

        assertThat(recorder.startOrder).containsExactly("parent", "child");
        assertProblemsLogged();
    }

    @Test
    void shouldRefuseADependencyOfTheWrongVersion() {
        withJob("parent", "one").version("1.2.0").writeTo(plugins, "parent.jar");
        withJob("child", "one").dependencies("parent@>=2.0.0").writeTo(plugins, "child.jar");

        supervisor().scan();

        assertThat(recorder.started).containsOnlyKeys("parent");
        assertThat(recorder.problemLines()).containsExactly(
                "child.jar: plugin child: depends on plugin parent >=2.0.0, but version 1.2.0 is present");
        assertProblemsLogged();
    }

    @Test
    void shouldRefuseBothPluginsOfADependencyCycle() {
        withJob("left", "one").dependencies("right").writeTo(plugins, "left.jar");
        withJob("right", "one").dependencies("left").writeTo(plugins, "right.jar");

        supervisor().scan();

        assertThat(recorder.started).isEmpty();
        assertThat(recorder.problemLines()).containsExactlyInAnyOrder(
                "left.jar: plugin left: dependency cycle through plugin right",
                "right.jar: plugin right: dependency cycle through plugin left");
        assertProblemsLogged();
    }

    @Test
    void shouldRejectOnlyTheJobWithAnInvalidScheduleNamingPluginAndJob() {
        String pkg = "p.alpha";
        plugin("alpha")
                .extension(pkg + ".Bad", job(pkg, "Bad", "bad-cron", "Schedule.cron(\"61 * * * *\")"))
                .extension(pkg + ".Good", job(pkg, "Good", "good", "Schedule.manual()"))
                .writeTo(plugins, "alpha.jar");

        List<String> warnings;
        try (LogCapture log = LogCapture.ofNames(PluginSupervisor.class.getName(), "org.pf4j").start()) {
            supervisor().scan();
            warnings = log.messages(PluginSupervisor.class, Level.WARN);
        }

        assertThat(recorder.started.get("alpha").jobs()).extracting(j -> j.qname().name()).containsExactly("good");
        assertThat(recorder.problemLines()).containsExactly("alpha.jar: plugin alpha: job bad-cron: job alpha.bad-cron:"
                + " invalid schedule \"61 * * * *\": field 1 (minute) \"61\": out of range 0-59 (job class p.alpha.Bad)");
        assertThat(warnings).containsExactly("WARN job refused: " + recorder.problemLines().get(0));
    }

    @Test
    void shouldRejectEveryJobOfADuplicatedNameButKeepTheOthers() {
        String pkg = "p.alpha";
        plugin("alpha")
                .extension(pkg + ".A", job(pkg, "A", "same", "Schedule.manual()"))
                .extension(pkg + ".B", job(pkg, "B", "same", "Schedule.manual()"))
                .extension(pkg + ".C", job(pkg, "C", "other", "Schedule.manual()"))
                .writeTo(plugins, "alpha.jar");

        try (LogCapture log = LogCapture.ofNames(PluginSupervisor.class.getName(), "org.pf4j").start()) {
            supervisor().scan();
            assertThat(log.messages(PluginSupervisor.class, Level.WARN)).singleElement().asString().startsWith("WARN job refused: alpha.jar: plugin"
                    + " alpha: job same: two or more jobs are named");
        }

        assertThat(recorder.started.get("alpha").jobs()).extracting(j -> j.qname().name()).containsExactly("other");
        assertThat(recorder.problemLines()).singleElement().asString()
                .startsWith("alpha.jar: plugin alpha: job same: two or more jobs are named \"same\"")
                .contains("p.alpha.A").contains("p.alpha.B");
    }

    @Test
    void shouldReportAJobWhoseClassIsMissingOrWhoseSpecThrows() {
        String pkg = "p.alpha";
        plugin("alpha")
                .indexOnly(pkg + ".Ghost")
                .extension(pkg + ".Throws", "package p.alpha;\n"
                        + "public class Throws implements dev.belfry.api.BackgroundJob {\n"
                        + "  public dev.belfry.api.JobSpec spec() { throw new IllegalStateException(\"no config\"); }\n"
                        + "  public void run(dev.belfry.api.JobContext c) { }\n"
                        + "}\n")
                .extension(pkg + ".Good", job(pkg, "Good", "good", "Schedule.manual()"))
                .writeTo(plugins, "alpha.jar");

        try (LogCapture log = LogCapture.ofNames(PluginSupervisor.class.getName(), "org.pf4j").start()) {
            supervisor().scan();
            assertThat(log.messages(PluginSupervisor.class, Level.WARN)).hasSize(2).allSatisfy(l -> assertThat(l).startsWith("WARN job refused:"
                    + " alpha.jar: plugin alpha: job class p.alpha."));
        }

        assertThat(recorder.started.get("alpha").jobs()).extracting(j -> j.qname().name()).containsExactly("good");
        assertThat(recorder.problemLines()).hasSize(2).anySatisfy(l -> assertThat(l)
                        .startsWith("alpha.jar: plugin alpha: job class p.alpha.Ghost refused: ClassNotFoundException"))
                .anySatisfy(l -> assertThat(l)
                        .startsWith("alpha.jar: plugin alpha: job class p.alpha.Throws refused")
                        .contains("no config"));
    }

    @Test
    void shouldLogEachRefusedJobAtWarnWithPluginJobClassAndReason() {
        String pkg = "p.alpha";
        plugin("alpha")
                .extension(pkg + ".BadHour", job(pkg, "BadHour", "bad-hour", "Schedule.cron(\"0 25 * * *\")"))
                .extension(pkg + ".BadZone", job(pkg, "BadZone", "bad-zone",
                        "Schedule.cron(\"0 3 * * *\", java.time.ZoneId.of(\"Mars/Olympus\"))"))
                .extension(pkg + ".Good", job(pkg, "Good", "good", "Schedule.manual()"))
                .writeTo(plugins, "alpha.jar");
        supervisor = new PluginSupervisor(plugins, "1.0.0", recorder, ScheduleValidator.compiling());

        List<String> warnings;
        try (LogCapture log = LogCapture.ofNames(PluginSupervisor.class.getName(), "org.pf4j").start()) {
            supervisor.scan();
            warnings = log.messages(PluginSupervisor.class, Level.WARN);
        }

        assertThat(recorder.started.get("alpha").jobs()).extracting(j -> j.qname().name()).containsExactly("good");
        assertThat(warnings).hasSize(2).anySatisfy(l -> assertThat(l)
                        .startsWith("WARN job refused: alpha.jar: plugin alpha: job bad-hour: job alpha.bad-hour:"
                                + " invalid schedule \"0 25 * * *\"")
                        .endsWith("(job class p.alpha.BadHour)"))
                .anySatisfy(l -> assertThat(l).isEqualTo("WARN job refused: alpha.jar: plugin alpha: job class"
                        + " p.alpha.BadZone refused: ZoneRulesException: Unknown time-zone ID: Mars/Olympus"));

        // what status lists for each is the log line's text, job class included
        assertThat(recorder.problemLines()).map(l -> "WARN job refused: " + l).containsExactlyInAnyOrderElementsOf(
                warnings);
    }

    @Test
    void shouldNameAnUnusablePluginVersionWithoutTheParsersWords() {
        withJob("my-jobs", "one").version("1.0").writeTo(plugins, "my-jobs-1.0.jar");

        supervisor().scan();

        assertThat(recorder.problemLines()).containsExactly("my-jobs-1.0.jar: plugin my-jobs: unusable"
                + " Plugin-Version \"1.0\" (expected a semantic version such as 1.2.0)");
        assertProblemsLogged();
    }

    @Test
    void shouldStopARemovedPluginAfterItsDependentsAndReloadTheDependentWhenItReturns() throws IOException {
        Path parent = withJob("parent", "one").writeTo(plugins, "parent.jar");
        withJob("child", "one").dependencies("parent").writeTo(plugins, "child.jar");
        supervisor().scan();
        assertThat(recorder.startOrder).containsExactly("parent", "child");

        Files.delete(parent);
        supervisor.scan();

        assertThat(recorder.stopOrder).containsExactly("child", "parent");
        assertThat(supervisor.pluginIds()).isEmpty();

        withJob("parent", "one").writeTo(plugins, "parent.jar");
        supervisor.scan();
        supervisor.scan();

        assertThat(supervisor.pluginIds()).containsExactly("parent", "child");
    }

    @Test
    void shouldReplaceAChangedJarOnlyOnceItHasSettled() throws IOException {
        Path jar = withJob("alpha", "one").writeTo(plugins, "alpha.jar");
        supervisor().scan();

        withJob("alpha", "two").version("1.1.0").writeTo(plugins, "alpha.jar");
        Files.setLastModifiedTime(jar, FileTime.fromMillis(Files.getLastModifiedTime(jar).toMillis() + 5_000));
        supervisor.scan();

        assertThat(recorder.stopOrder).containsExactly("alpha");
        assertThat(supervisor.pluginIds()).isEmpty();

        supervisor.scan();

        assertThat(supervisor.pluginIds()).containsExactly("alpha");
        assertThat(recorder.started.get("alpha").version()).isEqualTo("1.1.0");
        assertThat(recorder.started.get("alpha").jobs()).extracting(j -> j.qname().name()).containsExactly("two");
    }

    @Test
    void shouldLetTheHigherVersionOfOnePluginIdWinAndReportTheOtherAsSuperseded() throws IOException {
        withJob("my-jobs", "one").version("1.0.0").writeTo(plugins, "my-jobs-1.0.0.jar");
        supervisor().scan();

        Path newer = withJob("my-jobs", "two").version("1.1.0").writeTo(plugins, "my-jobs-1.1.0.jar");
        supervisor.scan(); // sees the new jar
        supervisor.scan(); // it has settled: the upgrade happens
        supervisor.scan();

        assertThat(supervisor.pluginIds()).containsExactly("my-jobs");
        assertThat(recorder.started.get("my-jobs").version()).isEqualTo("1.1.0");
        assertThat(recorder.stopOrder).containsExactly("my-jobs");
        assertThat(recorder.problemLines()).containsExactly("my-jobs-1.0.0.jar: plugin my-jobs: superseded by"
                + " my-jobs-1.1.0.jar (version 1.1.0 is higher than 1.0.0); it loads again only if my-jobs-1.1.0.jar"
                + " goes or cannot start");

        Files.delete(newer);
        supervisor.scan();

        assertThat(supervisor.pluginIds()).containsExactly("my-jobs");
        assertThat(recorder.started.get("my-jobs").version()).isEqualTo("1.0.0");
    }

    @Test
    void shouldReportEachOlderVersionOnceAgainstTheHighestWhenSeveralArePresentAtStartUp() throws IOException {
        for (String v : List.of("1.1.0", "1.2.0", "1.3.0", "1.4.0")) {
            withJob("my-jobs", "one").version(v).writeTo(plugins, "my-jobs-" + v + ".jar");
        }
        try (LogCapture info = LogCapture.of(PluginSupervisor.class).atLevel(Level.INFO).start()) {
            whenSeveralVersionsArrive(info);
        }
    }

    private void whenSeveralVersionsArrive(LogCapture log) throws IOException {
        supervisor().scan();
        supervisor.scan();
        supervisor.scan();

        assertThat(recorder.started.get("my-jobs").version()).isEqualTo("1.4.0");
        assertThat(log.messages(PluginSupervisor.class, Level.INFO)).filteredOn(l -> l.contains("superseded"))
                .containsExactly(
                        "INFO plugin superseded: " + supersededBy("1.1.0", "1.4.0"),
                        "INFO plugin superseded: " + supersededBy("1.2.0", "1.4.0"),
                        "INFO plugin superseded: " + supersededBy("1.3.0", "1.4.0"));
        assertThat(recorder.problemLines()).containsExactly(supersededBy("1.1.0", "1.4.0"),
                supersededBy("1.2.0", "1.4.0"), supersededBy("1.3.0", "1.4.0"));

        // a yet higher version arrives: it takes over, and the older files are not logged again
        withJob("my-jobs", "one").version("1.5.0").writeTo(plugins, "my-jobs-1.5.0.jar");
        supervisor.scan();
        supervisor.scan();
        supervisor.scan();

        assertThat(recorder.started.get("my-jobs").version()).isEqualTo("1.5.0");
        assertThat(log.messages(PluginSupervisor.class, Level.INFO)).filteredOn(l -> l.contains("superseded"))
                .containsExactly(
                        "INFO plugin superseded: " + supersededBy("1.1.0", "1.4.0"),
                        "INFO plugin superseded: " + supersededBy("1.2.0", "1.4.0"),
                        "INFO plugin superseded: " + supersededBy("1.3.0", "1.4.0"),
                        "INFO plugin superseded: " + supersededBy("1.4.0", "1.5.0"));
        // what status lists (the last problem of each file) names the new winner
        Map<String, String> lastByFile = new TreeMap<>();
        recorder.problems.forEach(p -> lastByFile.put(p.file().getFileName().toString(), p.toString()));
        assertThat(lastByFile.values()).containsExactly(supersededBy("1.1.0", "1.5.0"),
                supersededBy("1.2.0", "1.5.0"), supersededBy("1.3.0", "1.5.0"), supersededBy("1.4.0", "1.5.0"));
    }

    private static String supersededBy(String loser, String winner) {
        return "my-jobs-" + loser + ".jar: plugin my-jobs: superseded by my-jobs-" + winner + ".jar (version " + winner
                + " is higher than " + loser + "); it loads again only if my-jobs-" + winner + ".jar goes or cannot"
                + " start";
    }

    @Test
    void shouldKeepTheHigherVersionRunningWhenALowerOneArrives() {
        withJob("my-jobs", "one").version("1.10.0").writeTo(plugins, "my-jobs-1.10.0.jar");
        withJob("my-jobs", "one").version("1.9.0").writeTo(plugins, "my-jobs-1.9.0.jar");
        supervisor().scan();
        withJob("my-jobs", "one").version("1.2.0").writeTo(plugins, "my-jobs-1.2.0.jar");
        supervisor.scan();
        supervisor.scan();

        assertThat(recorder.startOrder).containsExactly("my-jobs");
        assertThat(recorder.started.get("my-jobs").version()).isEqualTo("1.10.0");
        assertThat(recorder.stopOrder).isEmpty();
        assertThat(recorder.problemLines()).containsExactlyInAnyOrder(
                "my-jobs-1.9.0.jar: plugin my-jobs: superseded by my-jobs-1.10.0.jar (version 1.10.0 is higher than"
                        + " 1.9.0); it loads again only if my-jobs-1.10.0.jar goes or cannot start",
                "my-jobs-1.2.0.jar: plugin my-jobs: superseded by my-jobs-1.10.0.jar (version 1.10.0 is higher than"
                        + " 1.2.0); it loads again only if my-jobs-1.10.0.jar goes or cannot start");
    }

    @Test
    void shouldKeepTheRunningVersionWhileTheHigherOneWaitsForADependency() {
        withJob("my-jobs", "one").version("1.0.0").writeTo(plugins, "my-jobs-1.0.0.jar");
        supervisor().scan();
        withJob("my-jobs", "one").version("2.0.0").dependencies("parent").writeTo(plugins, "my-jobs-2.0.0.jar");
        try (LogCapture log = LogCapture.ofNames(PluginSupervisor.class.getName(), "org.pf4j").start()) {
            supervisor.scan();
            supervisor.scan();
            assertThat(log.messages(PluginSupervisor.class, Level.WARN)).containsExactly("WARN plugin waiting: " + recorder.problemLines().get(0));
        }

        assertThat(supervisor.plugins()).singleElement().satisfies(p -> assertThat(p.version()).isEqualTo("1.0.0"));
        assertThat(recorder.stopOrder).isEmpty();
        assertThat(recorder.problemLines()).containsExactly("my-jobs-2.0.0.jar: plugin my-jobs: depends on plugin"
                + " parent, which is not in the plugins folder; it loads when parent is added");

        withJob("parent", "one").writeTo(plugins, "parent.jar");
        supervisor.scan();
        supervisor.scan();

        assertThat(supervisor.plugins()).extracting(p -> p.id() + " " + p.version())
                .containsExactly("parent 1.0.0", "my-jobs 2.0.0");
    }

    @Test
    void shouldUseTheFirstOfTwoFilesWithTheSameIdAndVersionAndNameTheOther() {
        withJob("my-jobs", "one").writeTo(plugins, "a.jar");
        withJob("my-jobs", "one").writeTo(plugins, "b.jar");

        supervisor().scan();
        supervisor.scan();

        assertThat(supervisor.plugins()).singleElement().satisfies(p -> assertThat(p.file().getFileName())
                .hasToString("a.jar"));
        assertThat(recorder.problemLines()).containsExactly("b.jar: plugin my-jobs: has the same plugin id and"
                + " version as a.jar, which is used; remove one of the two files");
        log.assertLogged(Level.WARN, "plugin superseded: b.jar: plugin my-jobs: has the same plugin id and version"
                + " as a.jar");
    }

    @Test
    void shouldLoadTheLowerVersionWhenTheHigherOneCannotStart() {
        withJob("my-jobs", "one").version("2.0.0").pluginClass("p.my_jobs.Broken")
                .source("p.my_jobs.Broken", "package p.my_jobs;\n"
                        + "public class Broken extends org.pf4j.Plugin {\n"
                        + "  public void start() { throw new IllegalStateException(\"no database\"); }\n"
                        + "}\n")
                .writeTo(plugins, "my-jobs-2.0.0.jar");
        withJob("my-jobs", "one").version("1.0.0").writeTo(plugins, "my-jobs-1.0.0.jar");

        try (LogCapture log = LogCapture.ofNames(PluginSupervisor.class.getName(), "org.pf4j").start()) {
            supervisor().scan();
            supervisor.scan();
            assertThat(log.messages(PluginSupervisor.class, Level.WARN)).singleElement().asString()
                    .startsWith("ERROR plugin refused: my-jobs-2.0.0.jar: plugin my-jobs: failed to start");
        }

        assertThat(supervisor.pluginIds()).containsExactly("my-jobs");
        assertThat(recorder.started.get("my-jobs").version()).isEqualTo("1.0.0");
        assertThat(recorder.problemLines()).anySatisfy(l -> assertThat(l)
                .startsWith("my-jobs-2.0.0.jar: plugin my-jobs: failed to start").contains("no database"));
    }

    @Test
    void shouldLoadAnExplodedPluginFolder() throws IOException {
        Path jar = withJob("folder", "one").writeTo(Files.createTempDirectory("jar"), "folder.jar");
        Path dir = Files.createDirectories(plugins.resolve("folder"));
        try (var fs = java.nio.file.FileSystems.newFileSystem(jar)) {
            Path root = fs.getPath("/");
            try (var walk = Files.walk(root)) {
                for (Path p : (Iterable<Path>) walk::iterator) {
                    Path target = dir.resolve(root.relativize(p).toString());
                    if (Files.isDirectory(p)) {
                        Files.createDirectories(target);
                    } else {
                        Files.copy(p, target);
                    }
                }
            }
        }
        // An exploded plugin keeps its classes under classes/ (PF4J's layout) and its manifest in META-INF.
        Path classes = Files.createDirectories(dir.resolve("classes"));
        Files.move(dir.resolve("p"), classes.resolve("p"));
        Files.createDirectories(classes.resolve("META-INF"));
        Files.move(dir.resolve("META-INF/extensions.idx"), classes.resolve("META-INF/extensions.idx"));

        supervisor().scan();

        assertThat(recorder.problemLines()).isEmpty();
        assertThat(recorder.started.get("folder").jobs()).extracting(j -> j.qname().toString())
                .containsExactly("folder.one");
    }

    @Test
    void shouldStopEveryPluginInReverseStartOrderOnClose() {
        withJob("parent", "one").writeTo(plugins, "parent.jar");
        withJob("child", "one").dependencies("parent").writeTo(plugins, "child.jar");
        supervisor().scan();

        supervisor.close();

        assertThat(recorder.stopOrder).containsExactly("child", "parent");
    }

    @Test
    void shouldKeepThePluginsRunningWhenTheFolderCannotBeListedAndCarryOnOnceItCan() {
        withJob("alpha", "one").writeTo(plugins, "alpha.jar");
        withJob("beta", "one").writeTo(plugins, "beta.jar");
        boolean[] outOfDescriptors = {false};
        supervisor = new PluginSupervisor(plugins, "1.0.0", recorder, schedule -> { }, PluginTrust.off(), folder -> {
            if (outOfDescriptors[0]) {
                throw new IOException(folder + ": Too many open files");
            }
            return Files.list(folder);
        });
        supervisor.scan();
        assertThat(supervisor.pluginIds()).containsExactly("alpha", "beta");

        outOfDescriptors[0] = true;
        supervisor.scan();
        supervisor.scan();
        org.assertj.core.api.Assertions.assertThatThrownBy(() -> supervisor.reload("alpha"))
                .hasMessage("the plugins folder cannot be listed now; plugin alpha keeps running");

        assertThat(supervisor.pluginIds()).containsExactly("alpha", "beta");
        assertThat(recorder.stopOrder).isEmpty();
        assertThat(log.matching(Level.WARN, "cannot list plugins folder")).hasSize(1)
                .allMatch(l -> l.contains("Too many open files") && l.contains("stay as they are"));
        assertThat(log.lines(Level.ERROR)).isEmpty();

        outOfDescriptors[0] = false;
        supervisor.scan();
        supervisor.scan();

        assertThat(supervisor.pluginIds()).containsExactly("alpha", "beta");
        assertThat(recorder.stopOrder).isEmpty();
        assertThat(recorder.startOrder).containsExactly("alpha", "beta");
    }

    @Test
    void shouldReportAFifoOrDeviceNamedLikeAJarOnceAsNotARegularFile() throws Exception {
        withJob("alpha", "one").writeTo(plugins, "alpha.jar");
        Path fifo = plugins.resolve("pipe.jar");
        assertThat(new ProcessBuilder("mkfifo", fifo.toString()).start().waitFor()).isZero();
        Files.createSymbolicLink(plugins.resolve("zero.jar"), Path.of("/dev/zero"));
        supervisor().scan();
        supervisor.scan();

        assertThat(supervisor.pluginIds()).containsExactly("alpha");
        assertThat(recorder.problemLines()).containsExactlyInAnyOrder(
                "pipe.jar: not a regular file; plugins must be jar files or folders",
                "zero.jar: not a regular file; plugins must be jar files or folders");
        assertProblemsLogged();
    }

    @Test
    void shouldRefuseAPluginListingMoreExtensionsThanTheLimitWithOneLine() {
        PluginJarBuilder many = withJob("many", "one");
        for (int i = 0; i < BelfryPluginManager.MAX_EXTENSIONS; i++) {
            many.indexOnly("p.many.Missing" + i);
        }
        many.writeTo(plugins, "many.jar");
        withJob("alpha", "one").writeTo(plugins, "alpha.jar");

        supervisor().scan();

        assertThat(supervisor.pluginIds()).containsExactly("alpha");
        assertThat(recorder.problemLines()).containsExactly(
                "many.jar: plugin many: the plugin's META-INF/extensions.idx files list more than 1000 extensions");
        assertThat(log.lines(Level.WARN)).hasSize(1);
        assertProblemsLogged();
    }

    @Test
    void shouldLogTheFirstTwentyRefusedJobsOfALoadThenOneLineCountingTheRest() {
        PluginJarBuilder missing = withJob("gaps", "one");
        for (int i = 0; i < 25; i++) {
            missing.indexOnly("p.gaps.Missing" + i);
        }
        missing.writeTo(plugins, "gaps.jar");

        supervisor().scan();

        assertThat(recorder.started.get("gaps").jobs()).extracting(j -> j.qname().toString())
                .containsExactly("gaps.one");
        assertThat(recorder.problems).hasSize(25);
        assertThat(log.matching(Level.WARN, "ClassNotFoundException")).hasSize(20);
        assertThat(log.lines(Level.WARN)).hasSize(21).last().asString()
                .endsWith("job refused: gaps.jar: plugin gaps: and 5 more job(s) refused, not logged one by one");
    }

    /** Records what the supervisor reports. */
    static final class Recorder implements PluginListener {
        final Map<String, LoadedPlugin> started = new TreeMap<>();
        final List<String> startOrder = new ArrayList<>();
        final List<String> stopOrder = new ArrayList<>();
        final List<PluginProblem> problems = new ArrayList<>();

        @Override
        public void pluginStarted(LoadedPlugin plugin) {
            started.put(plugin.id(), plugin);
            startOrder.add(plugin.id());
        }

        @Override
        public void pluginStopping(String pluginId) {
            stopOrder.add(pluginId);
        }

        @Override
        public void problem(PluginProblem problem) {
            problems.add(problem);
        }

        List<String> problemLines() {
            return problems.stream().map(PluginProblem::toString).collect(Collectors.toList());
        }
    }
}

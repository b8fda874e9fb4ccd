package dev.belfry.host.internal.cli;

import dev.belfry.host.admin.AdminModule;
import static dev.belfry.host.testing.PluginJarBuilder.plugin;
import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.belfry.api.QName;
import dev.belfry.api.schedule.Schedule;
import dev.belfry.host.graph.GraphConfig;
import dev.belfry.host.Host;
import dev.belfry.host.HostConfig;
import dev.belfry.sidecar.JobRecord;
import dev.belfry.sidecar.JobStatus;
import dev.belfry.sidecar.SidecarCodec;
import dev.belfry.sidecar.SidecarDocument;
import java.io.IOException;
import java.io.PrintWriter;
import java.io.StringWriter;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.util.List;
import java.util.Optional;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * What {@code belfry jobs list/show} and {@code belfry sidecar dump} print of a job's checkpoint and next fire, for a
 * job that fires, one that is paused and one whose plugin is gone.
 */
class JobsShowCheckpointTest {
    private static final ObjectMapper JSON = new ObjectMapper();
    private static final String CHECKPOINT = "{\"offset\": 42,\n \"file\": \"b.csv\"}";

    @TempDir
    Path data;
    @TempDir
    Path plugins;

    private Host host;
    private final StringWriter out = new StringWriter();
    private final StringWriter err = new StringWriter();

    @BeforeEach
    void startHost() throws IOException {
        // On file: shop.sync with a checkpoint and a fire 8 s ahead; gone.old, whose plugin is not there any more,
        // with a fire that was due 25 s ago.
        Instant now = Instant.now();
        JobRecord sync = JobRecord.pending(QName.parse("shop.sync"), "shop", Schedule.every(Duration.ofHours(1)))
                .withCheckpoint(Optional.of(CHECKPOINT))
                .withEngineState(JobStatus.SCHEDULED, Optional.of(now.plusSeconds(8)), false, Optional.empty(), false, 1);
        JobRecord old = JobRecord.pending(QName.parse("gone.old"), "gone", Schedule.every(Duration.ofHours(1)))
                .withEngineState(JobStatus.SCHEDULED, Optional.of(now.minusSeconds(25)), false, Optional.empty(), false,
                        1);
        Path file = Files.createDirectories(data.resolve("_system")).resolve("background_jobs.json");
        Files.write(file, new SidecarCodec().encode(SidecarDocument.of(now, List.of(sync, old))));
        plugin("shop").extension("p.shop.Sync", "package p.shop;\n"
                + "import dev.belfry.api.*;\n"
                + "import dev.belfry.api.schedule.Schedule;\n"
                + "import java.time.Duration;\n"
                + "public class Sync implements BackgroundJob {\n"
                + "  public JobSpec spec() { return JobSpec.builder(\"sync\", Schedule.every(Duration.ofHours(1))).build(); }\n"
                + "  public void run(JobContext c) { }\n"
                + "}\n").writeTo(plugins, "shop.jar");
        host = Host.start(HostConfig.builder().dataDir(data).pluginsDir(plugins)
                .module(AdminModule.onPort(AdminModule.ANY_FREE_PORT)).pluginScanInterval(Duration.ZERO).build());
    }

    @AfterEach
    void stopHost() {
        host.close();
    }

    private String belfry(String... args) {
        out.getBuffer().setLength(0);
        boolean offline = args[0].equals("sidecar"); // reads a file, needs no host
        String[] withData = new String[args.length + (offline ? 0 : 2)];
        System.arraycopy(args, 0, withData, 0, args.length);
        if (!offline) {
            withData[args.length] = "--data";
            withData[args.length + 1] = data.toString();
        }
        int exit = BelfryCli.run(Clock.systemUTC(), new PrintWriter(out, true), new PrintWriter(err, true), withData);
        assertThat(exit).as(err.toString()).isZero();
        return out.toString();
    }

    private static String row(String table, String start) {
        return table.lines().filter(l -> l.startsWith(start)).findFirst()
                .orElseThrow(() -> new AssertionError("no row " + start + " in\n" + table));
    }

    @Test
    void shouldShowTheCheckpointOnOneLineInTheTableAndWholeInJson() throws IOException {
        assertThat(row(belfry("jobs", "show", "shop.sync"), "checkpoint"))
                .isEqualTo("checkpoint       {\"offset\": 42,\\n \"file\": \"b.csv\"}");

        JsonNode json = JSON.readTree(belfry("jobs", "show", "shop.sync", "--json"));
        assertThat(json.get("checkpoint").asText()).isEqualTo(CHECKPOINT);
        assertThat(JSON.readTree(belfry("jobs", "show", "gone.old", "--json")).get("checkpoint").isNull()).isTrue();
        assertThat(row(belfry("jobs", "show", "gone.old"), "checkpoint")).isEqualTo("checkpoint       -");
        JsonNode list = JSON.readTree(belfry("jobs", "list", "--json"));
        assertThat(list).hasSize(2).allSatisfy(j -> assertThat(j.has("checkpoint")).isFalse()); // 64 Ki chars each
    }

    @Test
    void shouldShowTheCheckpointInASidecarDump() throws IOException {
        host.flushState().join();

        String dump = belfry("sidecar", "dump", data.resolve("_system/background_jobs.json").toString());

        assertThat(dump.lines().findFirst().orElseThrow()).endsWith("PAUSED  CHECKPOINT");
        assertThat(row(dump, "shop.sync")).endsWith("{\"offset\": 42,\\n \"file\": \"b.csv\"}");
        assertThat(row(dump, "gone.old")).endsWith(" -");
    }

    @Test
    void shouldShowNoNextFireForAPausedOrOrphanedJob() throws IOException {
        host.pause(QName.parse("shop.sync"));

        String list = belfry("jobs", "list");
        assertThat(row(list, "shop.sync")).matches("shop\\.sync +paused +every 1h +- .*");
        assertThat(row(list, "gone.old")).matches("gone\\.old +orphaned +every 1h +- .*");
        assertThat(row(belfry("jobs", "show", "shop.sync"), "next fire")).isEqualTo("next fire        -");
        assertThat(row(belfry("jobs", "show", "gone.old"), "next fire")).isEqualTo("next fire        -");
        assertThat(JSON.readTree(belfry("jobs", "show", "gone.old", "--json")).get("next_fire_at").isNull()).isTrue();

        host.resume(QName.parse("shop.sync"));

        assertThat(row(belfry("jobs", "show", "shop.sync"), "next fire"))
                .matches("next fire        \\d{4}-\\d\\d-\\d\\dT[0-9:.]+Z \\((in \\d+s|now|\\d+s ago)\\)");
    }
}

package dev.belfry.bench;

import com.cronutils.model.time.ExecutionTime;
import com.cronutils.parser.CronParser;
import dev.belfry.host.internal.cron.CompiledCron;
import dev.belfry.host.internal.cron.CronCompiler;
import java.time.Instant;
import java.time.ZoneId;
import java.time.ZonedDateTime;
import java.util.Optional;
import java.util.concurrent.TimeUnit;
import org.openjdk.jmh.annotations.Benchmark;
import org.openjdk.jmh.annotations.BenchmarkMode;
import org.openjdk.jmh.annotations.Fork;
import org.openjdk.jmh.annotations.Level;
import org.openjdk.jmh.annotations.Measurement;
import org.openjdk.jmh.annotations.Mode;
import org.openjdk.jmh.annotations.OutputTimeUnit;
import org.openjdk.jmh.annotations.Param;
import org.openjdk.jmh.annotations.Scope;
import org.openjdk.jmh.annotations.Setup;
import org.openjdk.jmh.annotations.State;
import org.openjdk.jmh.annotations.Warmup;

/**
 * Next-fire cost of Belfry's compiled cron against cron-utils' {@code ExecutionTime.nextExecution} for the
 * same expression and zone. Each call starts from a different instant (stepping 7 minutes 13 seconds over
 * about 80 days, then wrapping), so neither side sees a constant input. The inputs are made in setup, so
 * the allocation figures are those of the next-fire call alone.
 *
 * <p>Run: {@code java -jar bench/target/benchmarks.jar CronNextFire -prof gc -f 1 -wi 3 -w 2 -i 5 -r 2}
 */
@State(Scope.Thread)
@BenchmarkMode(Mode.AverageTime)
@OutputTimeUnit(TimeUnit.NANOSECONDS)
@Warmup(iterations = 3, time = 2)
@Measurement(iterations = 5, time = 2)
@Fork(1)
public class CronNextFireBenchmark {
    private static final long START = Instant.parse("2027-01-01T00:00:00Z").getEpochSecond();
    private static final long STEP = 7 * 60 + 13;
    private static final int INPUTS = 1 << 14;

    /** Expression and zone, separated by {@code |}. */
    @Param({
            "*/5 * * * *|UTC",
            "0 3 * * *|UTC",
            "0 9 * * 1-5|UTC",
            "0 0 1 * *|UTC",
            "30 2 * * *|Europe/Berlin",
            "0 */15 9-17 * * 1-5|Europe/Berlin",
    })
    public String cron;

    private CompiledCron compiled;
    private ExecutionTime cronUtils;
    private final Instant[] instants = new Instant[INPUTS];
    private final ZonedDateTime[] zoned = new ZonedDateTime[INPUTS];
    private int next;

    @Setup(Level.Trial)
    public void setUp() {
        String[] parts = cron.split("\\|");
        ZoneId zone = ZoneId.of(parts[1]);
        compiled = CronCompiler.compile(parts[0], zone);
        boolean seconds = parts[0].split(" ").length == 6;
        cronUtils = ExecutionTime.forCron(new CronParser(CronCompiler.definition(seconds)).parse(parts[0]));
        for (int i = 0; i < INPUTS; i++) {
            instants[i] = Instant.ofEpochSecond(START + i * STEP);
            zoned[i] = instants[i].atZone(zone);
        }
    }

    private int nextIndex() {
        next = (next + 1) & (INPUTS - 1);
        return next;
    }

    @Benchmark
    public Optional<Instant> belfry() {
        return compiled.nextFire(instants[nextIndex()]);
    }

    @Benchmark
    public Optional<ZonedDateTime> cronUtils() {
        return cronUtils.nextExecution(zoned[nextIndex()]);
    }
}

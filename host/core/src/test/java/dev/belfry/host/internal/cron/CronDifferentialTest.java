package dev.belfry.host.internal.cron;

import static org.assertj.core.api.Assertions.assertThat;

import com.cronutils.model.time.ExecutionTime;
import com.cronutils.parser.CronParser;
import dev.belfry.api.schedule.InvalidScheduleException;
import java.time.Instant;
import java.time.ZoneId;
import java.time.ZonedDateTime;
import java.time.zone.ZoneOffsetTransition;
import java.util.List;
import java.util.Optional;
import java.util.Random;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Random expressions, zones and instants: against cron-utils' own {@code ExecutionTime}, and against the
 * brute-force {@link ReferenceCron}. Run with {@code -Dcron.seed=N} to replay a failure; every assertion
 * message starts with the seed.
 */
class CronDifferentialTest {
    private static final long SEED = Long.getLong("cron.seed", System.nanoTime());
    private static final List<ZoneId> NAMED = List.of(ZoneId.of("Europe/Berlin"), ZoneId.of("America/New_York"),
            ZoneId.of("Australia/Lord_Howe"), ZoneId.of("America/Santiago"), ZoneId.of("Asia/Kolkata"),
            ZoneId.of("UTC"));
    private static final List<String> ALL_ZONES = ZoneId.getAvailableZoneIds().stream().sorted().toList();
    private static final long FROM = Instant.parse("1990-01-01T00:00:00Z").getEpochSecond();
    private static final long TO = Instant.parse("2060-01-01T00:00:00Z").getEpochSecond();

    private final Random random = new Random(SEED);

    /**
     * cron-utils logs every candidate it discards at DEBUG, and logback logs DEBUG when nothing configures it:
     * thousands of lines per run. Logback is only on the runtime class path, hence reflection.
     */
    @BeforeAll
    static void quietCronUtils() {
        Logger logger = LoggerFactory.getLogger("com.cronutils");
        try {
            Class<?> level = Class.forName("ch.qos.logback.classic.Level");
            logger.getClass().getMethod("setLevel", level).invoke(logger, level.getField("WARN").get(null));
        } catch (ReflectiveOperationException e) {
            // Another logging back end: leave it as configured.
        }
    }
    private final ExpressionGenerator generator = new ExpressionGenerator(random);

    /**
     * Every difference from cron-utils must be one the daylight-saving rule explains: a transition lies between
     * {@code after} and the later result (or {@code after} is inside the overlap it made), and the brute-force
     * reference agrees with Belfry. cron-utils skips gap times of fixed-time jobs and fires the second pass of
     * an overlap for them; Belfry fires at the jump and only on the first pass.
     */
    @Test
    void shouldAgreeWithCronUtilsOrTheDstRuleWhenRandomExpressions() {
        int compared = 0;
        int differences = 0;
        int referenceOnly = 0;
        while (compared < 6_000) {
            String expression = generator.agreed();
            ZoneId zone = zone();
            Instant after = instant(zone);
            String context = "seed " + SEED + ": " + expression + " in " + zone + " after " + after;
            Optional<Instant> ours;
            try {
                ours = CronCompiler.compile(expression, zone).nextFire(after);
            } catch (InvalidScheduleException e) {
                assertThat(e.reason()).as(context).startsWith("never matches");
                continue;
            }
            compared++;
            if (midnightSkipped(zone, after)) {
                // cron-utils bug: starting on a local day whose midnight fell in a gap (Santiago, Havana), it
                // keeps that day's late start for later days, e.g. 0 0 1 * * skips October 1st entirely.
                referenceOnly++;
                assertThat(ours).as(context).isPresent();
                assertThat(new ReferenceCron(expression).next(zone, after, ours.get())).as(context).isEqualTo(ours);
                continue;
            }
            boolean seconds = expression.split(" ").length == 6;
            ExecutionTime theirs = ExecutionTime.forCron(new CronParser(CronCompiler.definition(seconds))
                    .parse(CronSyntax.check(expression).normalized()));
            Optional<Instant> expected = theirs.nextExecution(after.atZone(zone)).map(ZonedDateTime::toInstant);
            if (ours.equals(expected)) {
                continue;
            }
            differences++;
            assertThat(ours).as(context + ": Belfry found nothing, cron-utils %s", expected).isPresent();
            Instant later = expected.filter(e -> e.isAfter(ours.get())).orElse(ours.get());
            assertThat(transitionExplains(zone, after, later))
                    .as(context + ": Belfry %s, cron-utils %s, and no transition between", ours, expected)
                    .isTrue();
            assertThat(new ReferenceCron(expression).next(zone, after, ours.get()))
                    .as(context + ": Belfry %s, cron-utils %s, reference differs", ours, expected)
                    .isEqualTo(ours);
        }
        System.out.printf("cron differential: seed %d, %d compared, %d explained by the DST rule,"
                + " %d against the reference only%n", SEED, compared, differences, referenceOnly);
    }

    /**
     * The full syntax, in zones with daylight saving, starting near real transitions with hours that cover the
     * transition's: Belfry must equal the brute-force reference over a two-day horizon.
     */
    @Test
    void shouldMatchReferenceWhenNearTransitions() {
        List<ZoneId> zones = List.of(NAMED.get(0), NAMED.get(1), NAMED.get(2), NAMED.get(3));
        int checked = 0;
        while (checked < 2_500) {
            ZoneId zone = random.nextInt(5) == 0 ? randomZone() : zones.get(random.nextInt(zones.size()));
            ZoneOffsetTransition transition = zone.getRules()
                    .nextTransition(Instant.ofEpochSecond(FROM + (long) (random.nextDouble() * (TO - FROM))));
            if (transition == null) {
                continue;
            }
            int hourHint = transition.getDateTimeBefore().getHour();
            String expression = generator.full(hourHint);
            Instant after = transition.getInstant().plusSeconds(random.nextInt(12 * 3600) - 6 * 3600);
            if (random.nextBoolean()) {
                after = Instant.ofEpochSecond(after.getEpochSecond() / 60 * 60);
            }
            String context = "seed " + SEED + ": " + expression + " in " + zone + " after " + after;
            Optional<Instant> ours;
            try {
                ours = CronCompiler.compile(expression, zone).nextFire(after);
            } catch (InvalidScheduleException e) {
                assertThat(e.reason()).as(context).startsWith("never matches");
                continue;
            }
            checked++;
            Instant until = after.plusSeconds(2 * 86_400);
            Optional<Instant> reference = new ReferenceCron(expression).next(zone, after, until);
            if (reference.isPresent()) {
                assertThat(ours).as(context).isEqualTo(reference);
            } else {
                assertThat(ours.filter(at -> !at.isAfter(until)))
                        .as(context + ": reference found nothing within two days").isEmpty();
            }
        }
    }

    /**
     * A transition lies between {@code after} and {@code later}, or {@code after} itself lies in the stretch
     * a transition has just made ambiguous (the second pass of an overlap, where fixed-time jobs stay silent).
     */
    private static boolean transitionExplains(ZoneId zone, Instant after, Instant later) {
        ZoneOffsetTransition next = zone.getRules().nextTransition(after);
        if (next != null && !next.getInstant().isAfter(later)) {
            return true;
        }
        ZoneOffsetTransition previous = zone.getRules().previousTransition(after.plusNanos(1));
        return previous != null && previous.getInstant().plus(previous.getDuration().abs()).isAfter(after);
    }

    private static boolean midnightSkipped(ZoneId zone, Instant after) {
        return zone.getRules().getValidOffsets(after.atZone(zone).toLocalDate().atStartOfDay()).isEmpty();
    }

    private ZoneId zone() {
        return random.nextInt(3) == 0 ? randomZone() : NAMED.get(random.nextInt(NAMED.size()));
    }

    private ZoneId randomZone() {
        return ZoneId.of(ALL_ZONES.get(random.nextInt(ALL_ZONES.size())));
    }

    /** Uniform over 1990-2060, or (half the time) within a day of one of the zone's transitions. */
    private Instant instant(ZoneId zone) {
        Instant uniform = Instant.ofEpochSecond(FROM + (long) (random.nextDouble() * (TO - FROM)));
        if (random.nextBoolean()) {
            return uniform;
        }
        ZoneOffsetTransition t = zone.getRules().nextTransition(uniform);
        if (t == null) {
            return uniform;
        }
        Instant near = t.getInstant().plusSeconds(random.nextInt(2 * 86_400) - 86_400);
        return random.nextBoolean() ? Instant.ofEpochSecond(near.getEpochSecond() / 60 * 60) : near;
    }
}

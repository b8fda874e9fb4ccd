package dev.belfry.host.internal.cli;

import static org.assertj.core.api.Assertions.assertThat;

import java.io.PrintWriter;
import java.io.StringWriter;
import java.time.Clock;
import java.time.Instant;
import java.time.ZoneOffset;
import org.junit.jupiter.api.Test;

class CronCommandTest {
    private static final Clock NOW = Clock.fixed(Instant.parse("2027-03-27T12:00:00Z"), ZoneOffset.UTC);

    private final StringWriter out = new StringWriter();
    private final StringWriter err = new StringWriter();

    private int belfry(String... args) {
        return BelfryCli.run(NOW, new PrintWriter(out, true), new PrintWriter(err, true), args);
    }

    @Test
    void shouldPrintTheNextFiresAsUtcInstantsWhenGivenAZoneAndStart() {
        int code = belfry("cron", "next", "30 2 * * *", "--zone", "Europe/Berlin",
                "--from", "2027-03-27T12:00:00Z", "--count", "3");

        assertThat(code).isZero();
        // 02:30 does not exist on 2027-03-28 in Berlin: the fire moves to the jump (03:00 CEST = 01:00Z).
        assertThat(out.toString().lines())
                .containsExactly("2027-03-28T01:00:00Z", "2027-03-29T00:30:00Z", "2027-03-30T00:30:00Z");
        assertThat(err.toString()).isEmpty();
    }

    @Test
    void shouldStartFromTheClockWhenNoStartIsGiven() {
        int code = belfry("cron", "next", "0 0 * * *", "--count", "2");

        assertThat(code).isZero();
        assertThat(out.toString().lines()).containsExactly("2027-03-28T00:00:00Z", "2027-03-29T00:00:00Z");
    }

    @Test
    void shouldPrintAJsonArrayWhenAskedForJson() {
        int code = belfry("cron", "next", "@hourly", "--count", "2", "--json");

        assertThat(code).isZero();
        assertThat(out.toString().strip()).isEqualTo("[\"2027-03-27T13:00:00Z\",\"2027-03-27T14:00:00Z\"]");
    }

    @Test
    void shouldExitTwoWithOneLineNamingTheFieldWhenTheExpressionIsInvalid() {
        int code = belfry("cron", "next", "0 25 * * *");

        assertThat(code).isEqualTo(2);
        assertThat(out.toString()).isEmpty();
        assertThat(err.toString().lines()).hasSize(1);
        assertThat(err.toString()).contains("\"0 25 * * *\"").containsIgnoringCase("hour");
    }

    @Test
    void shouldExitTwoWhenTheZoneIsUnknown() {
        int code = belfry("cron", "next", "0 0 * * *", "--zone", "Mars/Olympus");

        assertThat(code).isEqualTo(2);
        assertThat(err.toString().lines()).singleElement().asString()
                .contains("--zone").contains("\"Mars/Olympus\"");
    }

    @Test
    void shouldExitTwoWhenTheStartIsNotAnInstant() {
        int code = belfry("cron", "next", "0 0 * * *", "--from", "yesterday");

        assertThat(code).isEqualTo(2);
        assertThat(err.toString().lines()).singleElement().asString().contains("--from").contains("\"yesterday\"");
    }

    @Test
    void shouldExitTwoWhenTheCountIsOutOfRange() {
        assertThat(belfry("cron", "next", "0 0 * * *", "--count", "0")).isEqualTo(2);
        assertThat(err.toString()).contains("--count must be between 1 and 10000: 0");
    }

    @Test
    void shouldExitTwoWithOneLineWhenAnOptionIsUnknown() {
        int code = belfry("cron", "next", "0 0 * * *", "--zoen", "UTC");

        assertThat(code).isEqualTo(2);
        assertThat(err.toString().lines()).singleElement().asString().contains("--zoen");
    }

    @Test
    void shouldDescribeAnExpressionInWords() {
        int code = belfry("cron", "explain", "*/15 9-17 * * 1-5");

        assertThat(code).isZero();
        assertThat(out.toString()).isEqualTo("every 15 minutes from 09:00 to 17:45, Monday to Friday (UTC time)\n");
    }

    @Test
    void shouldNameTheZoneWhenExplainingInAZone() {
        int code = belfry("cron", "explain", "0 9 * * 1#2", "--zone", "Europe/Berlin");

        assertThat(code).isZero();
        assertThat(out.toString()).isEqualTo("at 09:00, on the second Monday of the month (Europe/Berlin time)\n");
    }

    @Test
    void shouldExitTwoWhenExplainingInAnUnknownZone() {
        int code = belfry("cron", "explain", "0 9 * * *", "--zone", "Mars/Olympus");

        assertThat(code).isEqualTo(2);
        assertThat(err.toString().lines()).singleElement().asString().contains("unknown time zone \"Mars/Olympus\"");
        assertThat(out.toString()).isEmpty();
    }

    @Test
    void shouldListTheCommandsInTheHelp() {
        int code = belfry("--help");

        assertThat(code).isZero();
        assertThat(out.toString()).contains("cron").contains("sidecar");
    }
}

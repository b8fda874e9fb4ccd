package dev.belfry.cluster.internal;

import java.sql.Array;
import java.sql.Connection;
import java.sql.SQLException;
import java.time.Instant;
import java.util.List;

/**
 * Small helpers for the cluster's statements. Instants travel as microseconds since the epoch (bigint) and are
 * turned into {@code timestamptz} by the database with integer arithmetic, so that an instant written as a claim's
 * key reads back equal, to the microsecond.
 */
final class Sql {
    /** SQL that turns a bigint of microseconds since the epoch into a timestamptz. */
    static final String MICROS_TO_TS = "(timestamptz 'epoch' + %s * interval '1 microsecond')";
    /** SQL that turns a timestamptz into a bigint of microseconds since the epoch. */
    static final String TS_TO_MICROS = "(extract(epoch from %s) * 1000000)::bigint";

    private Sql() {
    }

    static long micros(Instant at) {
        return Math.addExact(Math.multiplyExact(at.getEpochSecond(), 1_000_000L), at.getNano() / 1_000);
    }

    static Instant instant(long micros) {
        return Instant.ofEpochSecond(Math.floorDiv(micros, 1_000_000L), Math.floorMod(micros, 1_000_000L) * 1_000L);
    }

    static String ts(String micros) {
        return String.format(MICROS_TO_TS, micros);
    }

    static String micros(String ts) {
        return String.format(TS_TO_MICROS, ts);
    }

    static Array texts(Connection c, List<String> values) throws SQLException {
        return c.createArrayOf("text", values.toArray());
    }

    static Array longs(Connection c, long[] values, int n) throws SQLException {
        Long[] boxed = new Long[n];
        for (int i = 0; i < n; i++) {
            boxed[i] = values[i];
        }
        return c.createArrayOf("bigint", boxed);
    }

    static Array ints(Connection c, int[] values, int n) throws SQLException {
        Integer[] boxed = new Integer[n];
        for (int i = 0; i < n; i++) {
            boxed[i] = values[i];
        }
        return c.createArrayOf("integer", boxed);
    }
}

package dev.belfry.host.internal.cron;

import java.util.ArrayList;
import java.util.List;
import java.util.Random;

/**
 * Random cron expressions for the differential and reference tests.
 *
 * <p>{@link #agreed} covers only syntax on which cron-utils 9.2.1's own {@code ExecutionTime} shares Belfry's
 * semantics. Left out, found by experiment, and covered by {@link #full} against the brute-force reference:
 * <ul>
 *   <li>both day fields restricted: cron-utils requires both to match, Vixie (and Belfry) either;</li>
 *   <li>{@code ?} in both day fields: cron-utils never fires;</li>
 *   <li>L, W or # inside a list ({@code 1,L}, {@code 15W,L}): cron-utils honours only plain values there;</li>
 *   <li>{@code nW} with n from 28: cron-utils throws for months without day n ({@code 31W} in February), and
 *       leaves a Sunday that ends the month in place ({@code 28W} in February 2038) instead of moving to Friday.</li>
 * </ul>
 */
final class ExpressionGenerator {
    private static final String[] MONTHS =
            {"JAN", "FEB", "MAR", "APR", "MAY", "JUN", "JUL", "AUG", "SEP", "OCT", "NOV", "DEC"};
    private static final String[] DAYS = {"SUN", "MON", "TUE", "WED", "THU", "FRI", "SAT"};

    private final Random random;

    ExpressionGenerator(Random random) {
        this.random = random;
    }

    /** An expression in the syntax on which cron-utils agrees with Belfry. */
    String agreed() {
        return expression(false, -1);
    }

    /**
     * Any expression Belfry accepts, including Vixie OR and specials in lists.
     *
     * @param hourHint an hour the hour field should often cover (e.g. a transition's), or -1
     */
    String full(int hourHint) {
        return expression(true, hourHint);
    }

    private String expression(boolean full, int hourHint) {
        List<String> fields = new ArrayList<>();
        if (random.nextInt(4) == 0) {
            fields.add(random.nextInt(3) == 0 ? "*" : simple(0, 59));
        }
        fields.add(random.nextInt(4) == 0 ? "*" : simple(0, 59));
        fields.add(hour(hourHint));
        String[] days = dayFields(full);
        fields.add(days[0]);
        fields.add(random.nextInt(3) == 0 ? simple(1, 12, MONTHS, 1) : "*");
        fields.add(days[1]);
        return String.join(" ", fields);
    }

    private String hour(int hint) {
        if (hint >= 0 && random.nextInt(3) > 0) {
            return switch (random.nextInt(3)) {
                case 0 -> Integer.toString(hint);
                case 1 -> Math.max(0, hint - 1) + "-" + Math.min(23, hint + 1);
                default -> hint + "," + random.nextInt(24);
            };
        }
        return random.nextInt(4) == 0 ? "*" : simple(0, 23);
    }

    private String[] dayFields(boolean full) {
        int mode = random.nextInt(full ? 6 : 5);
        switch (mode) {
            case 0:
                return new String[] {"*", "*"};
            case 1:
                return new String[] {dayOfMonth(full), random.nextBoolean() ? "*" : "?"};
            case 2:
                return new String[] {random.nextBoolean() ? "*" : "?", dayOfWeek(full)};
            case 3:
                // Starts with *, so Vixie's AND applies, as in cron-utils.
                return new String[] {"*/" + (1 + random.nextInt(5)), dayOfWeek(false)};
            case 4:
                return new String[] {"*", random.nextBoolean() ? "*" : "?"};
            default:
                return random.nextInt(8) == 0
                        ? new String[] {"?", "?"}
                        : new String[] {dayOfMonth(true), dayOfWeek(true)};
        }
    }

    private String dayOfMonth(boolean full) {
        String special = switch (random.nextInt(10)) {
            case 0 -> "L";
            case 1 -> "L-" + (1 + random.nextInt(30));
            case 2 -> "LW";
            case 3 -> (1 + random.nextInt(full ? 31 : 27)) + "W";
            default -> null;
        };
        if (special == null) {
            return simple(1, 31);
        }
        return full && random.nextInt(3) == 0 ? special + "," + (1 + random.nextInt(31)) : special;
    }

    private String dayOfWeek(boolean full) {
        int day = random.nextInt(8);
        String dayText = random.nextBoolean() ? Integer.toString(day) : DAYS[day % 7];
        String special = switch (random.nextInt(8)) {
            case 0 -> dayText + "L";
            case 1 -> dayText + "#" + (1 + random.nextInt(5));
            default -> null;
        };
        if (special == null) {
            return simple(0, 7, DAYS, 0);
        }
        return full && random.nextInt(3) == 0 ? special + "," + random.nextInt(7) : special;
    }

    private String simple(int min, int max) {
        return simple(min, max, null, min);
    }

    /** A field of plain values, ranges, steps and lists; names replace numbers now and then. */
    private String simple(int min, int max, String[] names, int nameBase) {
        int shape = random.nextInt(8);
        switch (shape) {
            case 0:
                return "*";
            case 1:
                return "*/" + step(min, max);
            case 2: {
                int a = value(min, max);
                return random.nextInt(3) == 0 ? a + "/" + step(min, max) : name(a, names, nameBase);
            }
            case 3: {
                int a = value(min, max);
                int b = a + random.nextInt(max - a + 1);
                return rangeText(a, b, names, nameBase) + (random.nextBoolean() ? "/" + step(min, max) : "");
            }
            default: {
                int n = 2 + random.nextInt(2);
                List<String> items = new ArrayList<>();
                for (int i = 0; i < n; i++) {
                    int a = value(min, max);
                    if (random.nextInt(3) == 0) {
                        int b = a + random.nextInt(max - a + 1);
                        items.add(rangeText(a, b, names, nameBase));
                    } else {
                        items.add(name(a, names, nameBase));
                    }
                }
                return String.join(",", items);
            }
        }
    }

    private int value(int min, int max) {
        return min + random.nextInt(max - min + 1);
    }

    private int step(int min, int max) {
        return 1 + random.nextInt(Math.max(1, (max - min) / 2));
    }

    private String rangeText(int a, int b, String[] names, int nameBase) {
        return name(a, names, nameBase) + "-" + name(b, names, nameBase);
    }

    private String name(int value, String[] names, int nameBase) {
        if (names == null || !random.nextBoolean()) {
            return Integer.toString(value);
        }
        // 7 as a day is Sunday; only use the name where cron-utils and Belfry both read SUN as 7 (a range end).
        if (names == DAYS && value == 7) {
            return "7";
        }
        return names[value - nameBase];
    }
}

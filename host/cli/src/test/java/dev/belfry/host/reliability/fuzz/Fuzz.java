package dev.belfry.host.reliability.fuzz;

import dev.belfry.host.reliability.Depth;
import java.io.PrintWriter;
import java.io.StringWriter;
import java.nio.charset.StandardCharsets;
import java.util.Arrays;
import java.util.List;
import java.util.Random;

// Shared pieces of the fuzz tests: the seed (printed, so a failure can be replayed with -Dbelfry.seed=N),
// hostile text, byte mutations and a small latency summary.
final class Fuzz {
    /** Characters that break parsers: structure, quotes, escapes, controls, line breaks of every kind. */
    static final String NASTY = "{}[]\",:;-+*/?#@LW.\\'`$%&|<>=!~^()_ \t\n\r\u0000\u0007\u001b\u007f"
            + "\u0085\u00a0\u2028\u2029\u200b\ufeff\u3000\ufffd";
    /** Characters outside ASCII, in 1-, 2- and surrogate-pair form. */
    static final String[] UNICODE = {"é", "ß", "ﬁ", "İ", "ı", "Ω", "日本", "٣", "０", "😀", "\ud800", "\udc00",
            "\u202e", "𝟘", "ǅ"};

    private Fuzz() {
    }

    /** @return the seed for this test, printed so that it can be replayed */
    static long seed(String test) {
        long seed = Depth.seed();
        System.out.println("[fuzz] " + test + ": seed " + seed + " (replay with -Dbelfry.seed=" + seed + "), depth "
                + (Depth.isLong() ? "long" : "ci"));
        return seed;
    }

    static <T> T pick(Random r, List<T> items) {
        return items.get(r.nextInt(items.size()));
    }

    static String pick(Random r, String... items) {
        return items[r.nextInt(items.length)];
    }

    /** @return a string of random characters, biased towards the ones that break parsers */
    static String randomText(Random r, int maxLength) {
        int length = r.nextInt(maxLength + 1);
        StringBuilder b = new StringBuilder(length);
        while (b.length() < length) {
            int kind = r.nextInt(10);
            if (kind < 4) {
                b.append(NASTY.charAt(r.nextInt(NASTY.length())));
            } else if (kind < 6) {
                b.append((char) (' ' + r.nextInt(95)));
            } else if (kind < 8) {
                b.append(r.nextInt(10));
            } else if (kind < 9) {
                b.append(pick(r, UNICODE));
            } else {
                b.append((char) r.nextInt(0x10000));
            }
        }
        return b.toString();
    }

    /** @return true if the text has a line break of any kind a terminal or log reader may honour */
    static boolean hasLineBreak(String s) {
        return s.chars().anyMatch(c -> c == '\n' || c == '\r' || c == '\u0085' || c == '\u2028' || c == '\u2029');
    }

    /** Damages a document the way disks, editors and bad tools do. */
    static byte[] mutate(byte[] original, Random r) {
        byte[] b = original.clone();
        switch (r.nextInt(7)) {
            case 0: { // flip bits
                int flips = 1 + r.nextInt(4);
                for (int f = 0; f < flips; f++) {
                    b[r.nextInt(b.length)] ^= (byte) (1 << r.nextInt(8));
                }
                return b;
            }
            case 1: // truncate
                return Arrays.copyOf(b, r.nextInt(b.length));
            case 2: { // delete a run of bytes, often exactly a brace or bracket
                int at = indexOfAny(b, r, "{}[]".getBytes(StandardCharsets.US_ASCII));
                int len = r.nextBoolean() ? 1 : 1 + r.nextInt(Math.min(12, b.length - at));
                byte[] out = new byte[b.length - len];
                System.arraycopy(b, 0, out, 0, at);
                System.arraycopy(b, at + len, out, at, b.length - at - len);
                return out;
            }
            case 3: { // overwrite with structural characters
                byte[] specials = "{}[]\",:-019eE.\\ntfu \u0000".getBytes(StandardCharsets.UTF_8);
                int changes = 1 + r.nextInt(3);
                for (int c = 0; c < changes; c++) {
                    b[r.nextInt(b.length)] = specials[r.nextInt(specials.length)];
                }
                return b;
            }
            case 4: { // duplicate a slice somewhere else
                int from = r.nextInt(b.length);
                int len = 1 + r.nextInt(Math.min(60, b.length - from));
                int to = r.nextInt(b.length);
                byte[] out = new byte[b.length + len];
                System.arraycopy(b, 0, out, 0, to);
                System.arraycopy(b, from, out, to, len);
                System.arraycopy(b, to, out, to + len, b.length - to);
                return out;
            }
            case 5: { // insert random text
                byte[] text = randomText(r, 12).getBytes(StandardCharsets.UTF_8);
                int at = r.nextInt(b.length + 1);
                byte[] out = new byte[b.length + text.length];
                System.arraycopy(b, 0, out, 0, at);
                System.arraycopy(text, 0, out, at, text.length);
                System.arraycopy(b, at, out, at + text.length, b.length - at);
                return out;
            }
            default: { // swap two bytes
                int i = r.nextInt(b.length);
                int j = r.nextInt(b.length);
                byte t = b[i];
                b[i] = b[j];
                b[j] = t;
                return b;
            }
        }
    }

    private static int indexOfAny(byte[] b, Random r, byte[] wanted) {
        int start = r.nextInt(b.length);
        for (int k = 0; k < b.length; k++) {
            int i = (start + k) % b.length;
            for (byte w : wanted) {
                if (b[i] == w) {
                    return i;
                }
            }
        }
        return start;
    }

    /** @return the text as one-line messages quote it: line breaks and other controls escaped */
    static String escaped(String s) {
        StringBuilder b = new StringBuilder();
        for (char c : s.toCharArray()) {
            if (c == '\n') {
                b.append("\\n");
            } else if (c == '\r') {
                b.append("\\r");
            } else if (c == '\t') {
                b.append("\\t");
            } else if (c < 0x20 || (c >= 0x7f && c < 0xa0) || c == '\u2028' || c == '\u2029') {
                b.append(String.format("\\u%04x", (int) c));
            } else {
                b.append(c);
            }
        }
        return b.toString();
    }

    /** @return the text with controls and line breaks escaped, for assertion messages */
    static String show(String s) {
        StringBuilder b = new StringBuilder("\"");
        for (int i = 0; i < s.length() && i < 300; i++) {
            char c = s.charAt(i);
            if (c < 0x20 || c == 0x7f || (c >= 0x80 && c < 0xa0) || c == '\u2028' || c == '\u2029'
                    || Character.isSurrogate(c)) {
                b.append(String.format("\\u%04x", (int) c));
            } else {
                b.append(c);
            }
        }
        return b.append(s.length() > 300 ? "\"... (" + s.length() + " chars)" : "\"").toString();
    }

    static String stackTrace(Throwable t) {
        StringWriter w = new StringWriter();
        t.printStackTrace(new PrintWriter(w));
        return w.toString();
    }

    /** Latencies in nanoseconds, summarised as percentiles. */
    static final class Latencies {
        private long[] values = new long[1024];
        private int size;

        void add(long nanos) {
            if (size == values.length) {
                values = Arrays.copyOf(values, size * 2);
            }
            values[size++] = nanos;
        }

        int count() {
            return size;
        }

        /** @param q 0..1 @return the q-quantile in nanoseconds */
        long quantile(double q) {
            long[] sorted = Arrays.copyOf(values, size);
            Arrays.sort(sorted);
            return sorted.length == 0 ? 0 : sorted[(int) Math.min(sorted.length - 1, Math.ceil(q * sorted.length) - 1)];
        }

        long max() {
            return quantile(1.0);
        }
    }
}

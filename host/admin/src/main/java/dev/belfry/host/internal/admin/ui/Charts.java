package dev.belfry.host.internal.admin.ui;

import static dev.belfry.host.internal.admin.ui.Html.text;

import java.time.Duration;
import java.util.List;

/**
 * The overview's charts as SVG drawn on the server: no chart library, no script, colours from the stylesheet (so
 * dark mode applies), each chart with a text alternative that says what it shows.
 */
final class Charts {
    private static final int WIDTH = 600;
    private static final int HEIGHT = 120;

    private Charts() {
    }

    /**
     * Runs (and, over them, failures) per bucket of minutes.
     *
     * @param id      the chart's element id
     * @param label   what it shows, for its title and screen readers
     * @param minutes the minutes, oldest first
     * @param perBar  minutes per bar
     * @return the SVG
     */
    static String runs(String id, String label, List<MinuteCounts.Minute> minutes, int perBar) {
        int bars = (minutes.size() + perBar - 1) / perBar;
        long[] runs = new long[bars];
        long[] failures = new long[bars];
        long totalRuns = 0;
        long totalFailures = 0;
        for (int i = 0; i < minutes.size(); i++) {
            runs[i / perBar] += minutes.get(i).runs();
            failures[i / perBar] += minutes.get(i).failures();
            totalRuns += minutes.get(i).runs();
            totalFailures += minutes.get(i).failures();
        }
        long max = 1;
        for (long r : runs) {
            max = Math.max(max, r);
        }
        String summary = label + ": " + totalRuns + " runs, " + totalFailures + " failed";
        StringBuilder b = open(id, summary);
        double w = (double) WIDTH / bars;
        for (int i = 0; i < bars; i++) {
            bar(b, "bar-run", i * w, w, runs[i], max);
            bar(b, "bar-fail", i * w, w, failures[i], max);
        }
        return b.append(axis(max + " per " + (perBar == 1 ? "minute" : perBar + " minutes"))).append("</svg>")
                .append("<p class=\"chart-note\" data-testid=\"").append(id).append("-summary\">")
                .append(text(summary)).append("</p>").toString();
    }

    /**
     * The fire lag's 99th percentile per minute, as a line; minutes without runs leave a gap.
     *
     * @param id      the chart's element id
     * @param minutes the minutes, oldest first
     * @return the SVG
     */
    static String lag(String id, List<MinuteCounts.Minute> minutes) {
        long max = 1;
        for (MinuteCounts.Minute m : minutes) {
            max = Math.max(max, m.lagP99().map(Duration::toMillis).orElse(0L));
        }
        String worst = max + " ms";
        String summary = "Fire lag p99 per minute, highest " + worst;
        StringBuilder b = open(id, summary);
        double w = (double) WIDTH / Math.max(1, minutes.size() - 1);
        StringBuilder path = new StringBuilder();
        boolean drawing = false;
        for (int i = 0; i < minutes.size(); i++) {
            var p99 = minutes.get(i).lagP99();
            if (p99.isEmpty()) {
                drawing = false;
                continue;
            }
            double y = HEIGHT - (double) p99.get().toMillis() / max * (HEIGHT - 10);
            // Kept off the edges by the line's width, so that a lone minute's dot is not cut in half.
            double x = Math.max(2, Math.min(WIDTH - 2, i * w));
            path.append(drawing ? " L" : " M").append(round(x)).append(' ').append(round(Math.min(HEIGHT - 2, y)));
            if (!drawing) {
                path.append(" l0 0"); // a minute alone between gaps shows as a dot (round line caps)
            }
            drawing = true;
        }
        if (path.length() > 0) {
            b.append("<path class=\"line-lag\" d=\"").append(path.toString().strip()).append("\"/>");
        }
        return b.append(axis("p99 up to " + worst)).append("</svg><p class=\"chart-note\" data-testid=\"").append(id)
                .append("-summary\">").append(text(summary)).append("</p>").toString();
    }

    private static StringBuilder open(String id, String summary) {
        return new StringBuilder(8192).append("<svg id=\"").append(id).append("\" class=\"chart\" viewBox=\"0 0 ")
                .append(WIDTH).append(' ').append(HEIGHT + 14).append("\" role=\"img\" aria-label=\"")
                .append(text(summary)).append("\" preserveAspectRatio=\"none\"><title>").append(text(summary))
                .append("</title>");
    }

    private static void bar(StringBuilder b, String cls, double x, double w, long value, long max) {
        if (value == 0) {
            return;
        }
        double h = Math.max(1, (double) value / max * (HEIGHT - 10));
        b.append("<rect class=\"").append(cls).append("\" x=\"").append(round(x)).append("\" y=\"")
                .append(round(HEIGHT - h)).append("\" width=\"").append(round(Math.max(0.5, w - 0.5)))
                .append("\" height=\"").append(round(h)).append("\"/>");
    }

    private static String axis(String label) {
        return "<line class=\"axis\" x1=\"0\" y1=\"" + HEIGHT + "\" x2=\"" + WIDTH + "\" y2=\"" + HEIGHT + "\"/>"
                + "<text class=\"axis-label\" x=\"2\" y=\"" + (HEIGHT + 12) + "\">" + text(label) + "</text>";
    }

    private static String round(double v) {
        return Double.toString(Math.round(v * 10) / 10.0);
    }
}

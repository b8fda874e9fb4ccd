package dev.belfry.host.internal.admin.ui;

import static dev.belfry.host.internal.admin.ui.Html.text;
import static dev.belfry.host.internal.admin.ui.Html.url;

import dev.belfry.host.internal.Views;
import dev.belfry.host.internal.engine.NextFire;
import dev.belfry.sidecar.JobRecord;
import dev.belfry.sidecar.JobStatus;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.EnumMap;
import java.util.List;
import java.util.Map;
import java.util.PriorityQueue;

/** The overview: the host's health by part, jobs by status, runs and lag over time, what fires next. */
final class OverviewPage {
    /** How many of the next hour's fires the page lists (a job firing often can fill several rows). */
    static final int DUE_SHOWN = 20;

    private OverviewPage() {
    }

    static String render(Map<String, Object> health, List<JobRecord> jobs, MinuteCounts counts, Instant now) {
        StringBuilder b = new StringBuilder(32_768);
        b.append("<div id=\"overview-live\" data-live>");
        b.append("<p class=\"lead\">Host <strong data-testid=\"host-status\" id=\"host-status\">")
                .append(text(health.get("status"))).append("</strong>, Belfry ").append(text(health.get("version")))
                .append(", as of ").append(Fields.time(now)).append("</p>");
        b.append("<div class=\"cards\">");
        for (String part : List.of("engine", "sidecar", "cluster", "graph")) {
            if (health.get(part) instanceof Map<?, ?> section) {
                b.append("<section class=\"card\" aria-labelledby=\"h-").append(part).append("\"><h2 id=\"h-")
                        .append(part).append("\">").append(title(part)).append("</h2>")
                        .append(Fields.list("health-" + part, section)).append("</section>");
            }
        }
        b.append("<section class=\"card\" aria-labelledby=\"h-plugins\"><h2 id=\"h-plugins\">Plugins</h2><p>")
                .append("<a href=\"/ui/plugins\" id=\"plugin-count\">").append(text(health.get("plugins")))
                .append(" running</a></p>");
        if (health.get("plugin_problems") instanceof List<?> problems && !problems.isEmpty()) {
            b.append("<p class=\"warn\">").append(problems.size()).append(" refused (see Plugins)</p>");
        }
        b.append("</section></div>");

        Map<JobStatus, Long> byStatus = new EnumMap<>(JobStatus.class);
        for (JobRecord r : jobs) {
            byStatus.merge(r.status(), 1L, Long::sum);
        }
        b.append("<section aria-labelledby=\"h-status\"><h2 id=\"h-status\">Jobs by status</h2>")
                .append("<ul class=\"counts\" id=\"status-counts\"><li><a href=\"/ui/jobs\">all <strong>")
                .append(jobs.size()).append("</strong></a></li>");
        for (JobStatus s : JobStatus.values()) {
            b.append("<li><a href=\"/ui/jobs?status=").append(url(s.jsonName())).append("\" data-status=\"")
                    .append(s.jsonName()).append("\">").append(Fields.status(s.jsonName())).append(" <strong>")
                    .append(byStatus.getOrDefault(s, 0L)).append("</strong></a></li>");
        }
        b.append("</ul></section>");

        List<MinuteCounts.Minute> day = counts.last(now, MinuteCounts.MINUTES);
        b.append("<section aria-labelledby=\"h-runs\"><h2 id=\"h-runs\">Runs and failures</h2>")
                .append("<div class=\"charts\"><figure><figcaption>Last hour</figcaption>")
                .append(Charts.runs("chart-hour", "Runs in the last hour", day.subList(day.size() - 60, day.size()),
                        1))
                .append("</figure><figure><figcaption>Last 24 hours</figcaption>")
                .append(Charts.runs("chart-day", "Runs in the last 24 hours", day, 30))
                .append("</figure><figure><figcaption>Fire lag p99, last 24 hours</figcaption>")
                .append(Charts.lag("chart-lag", day)).append("</figure></div>")
                .append("<p class=\"legend\"><span class=\"key key-run\"></span> runs <span class=\"key key-fail\">")
                .append("</span> failures</p></section>");

        Instant horizon = now.plus(Duration.ofHours(1));
        int dueCount = 0;
        for (JobRecord r : jobs) {
            if (Views.firesNextAt(r).map(at -> at.isBefore(horizon)).orElse(false)) {
                dueCount++;
            }
        }
        b.append("<section aria-labelledby=\"h-due\"><h2 id=\"h-due\">Due in the next hour</h2><p id=\"due-count\">")
                .append(dueCount).append(dueCount == 1 ? " job fires" : " jobs fire")
                .append(" within the hour.</p>");
        if (dueCount > 0) {
            b.append("<table id=\"due\"><caption class=\"sr-only\">The next fires</caption><thead><tr>")
                    .append("<th scope=\"col\">When</th><th scope=\"col\">Job</th></tr></thead><tbody>");
            for (Fire fire : nextFires(jobs, horizon)) {
                b.append("<tr><td>").append(Fields.time(fire.at())).append("</td><td>")
                        .append(JobsPage.link(fire.job().qname().toString())).append("</td></tr>");
            }
            b.append("</tbody></table>");
        }
        b.append("</section></div>");
        return b.toString();
    }

    private record Fire(Instant at, JobRecord job) {
    }

    private static final Comparator<Fire> EARLIEST_FIRST = Comparator.comparing(Fire::at);

    /**
     * The first {@link #DUE_SHOWN} fires before the horizon, in order: a job that fires often is listed often. Only
     * the jobs with the {@link #DUE_SHOWN} earliest next fires can have a fire among them, so only those are kept
     * from the pass over every job.
     */
    private static List<Fire> nextFires(List<JobRecord> jobs, Instant horizon) {
        PriorityQueue<Fire> earliest = new PriorityQueue<>(DUE_SHOWN + 1, EARLIEST_FIRST.reversed());
        for (JobRecord r : jobs) {
            Instant at = Views.firesNextAt(r).orElse(null);
            if (at != null && at.isBefore(horizon)
                    && (earliest.size() < DUE_SHOWN || at.isBefore(earliest.peek().at()))) {
                earliest.add(new Fire(at, r));
                if (earliest.size() > DUE_SHOWN) {
                    earliest.poll();
                }
            }
        }
        PriorityQueue<Fire> queue = new PriorityQueue<>(EARLIEST_FIRST);
        queue.addAll(earliest);
        List<Fire> fires = new ArrayList<>(DUE_SHOWN);
        while (fires.size() < DUE_SHOWN && !queue.isEmpty()) {
            Fire fire = queue.poll();
            fires.add(fire);
            NextFire.nextFire(fire.job().schedule(), fire.at()).filter(at -> at.isBefore(horizon))
                    .ifPresent(at -> queue.add(new Fire(at, fire.job())));
        }
        return fires;
    }

    private static String title(String part) {
        return switch (part) {
            case "engine" -> "Engine";
            case "sidecar" -> "State store";
            case "cluster" -> "Cluster store and leases";
            case "graph" -> "Graph mirror";
            default -> text(part);
        };
    }
}

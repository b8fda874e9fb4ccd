package dev.belfry.host.internal.admin.ui;

import static dev.belfry.host.internal.admin.ui.Html.text;
import static dev.belfry.host.internal.admin.ui.Html.url;

import dev.belfry.host.internal.JobsAtAGlance;
import dev.belfry.host.internal.engine.UpcomingFires;
import dev.belfry.sidecar.JobStatus;
import java.time.Instant;
import java.util.List;
import java.util.Map;

/** The overview: the host's health by part, jobs by status, runs and lag over time, what fires next. */
final class OverviewPage {
    /** How many of the next hour's fires the page lists (a job firing often can fill several rows). */
    static final int DUE_SHOWN = 20;

    private OverviewPage() {
    }

    /**
     * @param health what the host says of its parts
     * @param jobs   the jobs by status and their first {@link #DUE_SHOWN} fires within the hour
     * @param counts runs per minute
     * @param now    the present
     * @return the page's main part
     */
    static String render(Map<String, Object> health, JobsAtAGlance jobs, MinuteCounts counts, Instant now) {
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

        b.append("<section aria-labelledby=\"h-status\"><h2 id=\"h-status\">Jobs by status</h2>")
                .append("<ul class=\"counts\" id=\"status-counts\"><li><a href=\"/ui/jobs\">all <strong>")
                .append(jobs.total()).append("</strong></a></li>");
        for (JobStatus s : JobStatus.values()) {
            b.append("<li><a href=\"/ui/jobs?status=").append(url(s.jsonName())).append("\" data-status=\"")
                    .append(s.jsonName()).append("\">").append(Fields.status(s.jsonName())).append(" <strong>")
                    .append(jobs.byStatus().getOrDefault(s, 0)).append("</strong></a></li>");
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

        List<UpcomingFires.Fire> due = jobs.upcoming();
        b.append("<section aria-labelledby=\"h-due\"><h2 id=\"h-due\">Due in the next hour</h2><p id=\"due-count\">")
                .append(due.isEmpty() ? "Nothing fires within the hour." : due.size() == 1 ? "One fire within the hour:"
                        : due.size() < DUE_SHOWN ? "All " + due.size() + " fires within the hour:"
                        : "The first " + DUE_SHOWN + " fires within the hour:")
                .append("</p>");
        if (!due.isEmpty()) {
            b.append("<table id=\"due\"><caption class=\"sr-only\">The next fires</caption><thead><tr>")
                    .append("<th scope=\"col\">When</th><th scope=\"col\">Job</th></tr></thead><tbody>");
            for (UpcomingFires.Fire fire : due) {
                b.append("<tr><td>").append(Fields.time(fire.at())).append("</td><td>")
                        .append(JobsPage.link(fire.job().toString())).append("</td></tr>");
            }
            b.append("</tbody></table>");
        }
        b.append("</section></div>");
        return b.toString();
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

package dev.belfry.host.internal.admin.ui;

import static dev.belfry.host.internal.admin.ui.Html.text;
import static dev.belfry.host.internal.admin.ui.Html.url;

import dev.belfry.host.internal.Views;
import dev.belfry.host.internal.engine.JobSnapshot;
import dev.belfry.sidecar.JobRecord;
import dev.belfry.sidecar.JobStatus;
import java.util.List;
import java.util.Optional;
import java.util.SortedSet;

/** The jobs list: a filter form (a plain GET form, so it works without script), the matching page, paging links. */
final class JobsPage {
    private JobsPage() {
    }

    /**
     * @param qname a job's name
     * @return a link to its page
     */
    static String link(String qname) {
        return "<a href=\"/ui/jobs/" + url(qname) + "\" data-job-link=\"" + text(qname) + "\">" + text(qname) + "</a>";
    }

    /**
     * @param q       the query
     * @param page    the jobs it shows
     * @param total   how many jobs there are
     * @param plugins the plugins that have jobs, for the filter
     * @return the page's main part
     */
    static String render(JobsQuery q, JobsQuery.Result page, int total, SortedSet<String> plugins) {
        StringBuilder b = new StringBuilder(64 * 1024);
        b.append("<form method=\"get\" action=\"/ui/jobs\" id=\"jobs-filter\" class=\"filter\" role=\"search\">")
                .append("<label for=\"filter-q\">Name contains</label>")
                .append("<input type=\"search\" id=\"filter-q\" name=\"q\"")
                .append(" value=\"").append(text(q.search())).append("\" autocomplete=\"off\">");
        select(b, "filter-plugin", "plugin", "Plugin", plugins.stream().toList(), q.plugin());
        select(b, "filter-status", "status", "Status",
                java.util.Arrays.stream(JobStatus.values()).map(JobStatus::jsonName).toList(), q.status());
        select(b, "filter-type", "type", "Schedule", JobsQuery.TYPES, q.type());
        b.append("<label for=\"filter-sort\">Sort by</label><select id=\"filter-sort\" name=\"sort\">");
        for (String s : JobsQuery.SORTS) {
            option(b, s, s.equals("next") ? "next fire" : s, s.equals(q.sort()));
        }
        b.append("</select><label for=\"filter-dir\">Order</label><select id=\"filter-dir\" name=\"dir\">");
        option(b, "", "ascending", !q.desc());
        option(b, "desc", "descending", q.desc());
        b.append("</select><button type=\"submit\" id=\"filter-apply\">Apply</button>")
                .append("<a href=\"/ui/jobs\" id=\"filter-clear\">Clear</a></form>");

        b.append("<div id=\"jobs-live\" data-live><p id=\"jobs-matched\" role=\"status\">").append(page.matched())
                .append(page.matched() == 1 ? " job matches" : " jobs match").append(" of ").append(total)
                .append(".</p>");
        b.append("<div class=\"scroll\"><table id=\"jobs-table\"><caption class=\"sr-only\">Jobs, page ")
                .append(page.page()).append("</caption><thead><tr>");
        header(b, q, "name", "Job");
        header(b, q, "plugin", "Plugin");
        header(b, q, "status", "Status");
        b.append("<th scope=\"col\">Schedule</th>");
        header(b, q, "next", "Next fire");
        b.append("<th scope=\"col\">Last outcome</th>");
        header(b, q, "failures", "Failure streak");
        b.append("</tr></thead><tbody>");
        for (JobSnapshot j : page.rows()) {
            JobRecord r = j.record();
            String qname = r.qname().toString();
            b.append("<tr data-job=\"").append(text(qname)).append("\"><th scope=\"row\">").append(link(qname))
                    .append("</th><td data-label=\"Plugin\">").append(text(r.pluginId()))
                    .append("</td><td data-label=\"Status\">").append(Fields.status(r.status().jsonName()))
                    .append(j.running().isEmpty() ? "" : " <span class=\"badge\">running</span>")
                    .append("</td><td data-label=\"Schedule\">").append(text(JobPage.scheduleText(r)))
                    .append("</td><td data-field=\"next\" data-label=\"Next fire\">")
                    .append(Fields.time(Views.firesNextAt(r))).append("</td><td data-label=\"Last outcome\">")
                    .append(outcome(r)).append("</td><td data-field=\"streak\" data-label=\"Failure streak\">")
                    .append(r.consecutiveFailures()).append("</td></tr>");
        }
        if (page.rows().isEmpty()) {
            b.append("<tr><td colspan=\"7\" id=\"jobs-empty\">No job matches.</td></tr>");
        }
        b.append("</tbody></table></div>");
        b.append("<nav id=\"pager\" aria-label=\"Pages\" class=\"pager\">");
        if (page.page() > 1) {
            b.append("<a id=\"page-prev\" rel=\"prev\" href=\"/ui/jobs")
                    .append(q.parameters(Optional.empty(), Optional.empty(), page.page() - 1))
                    .append("\">Previous</a>");
        }
        b.append("<span id=\"page-info\">Page ").append(page.page()).append(" of ").append(page.pages())
                .append("</span>");
        if (page.page() < page.pages()) {
            b.append("<a id=\"page-next\" rel=\"next\" href=\"/ui/jobs")
                    .append(q.parameters(Optional.empty(), Optional.empty(), page.page() + 1)).append("\">Next</a>");
        }
        return b.append("</nav></div>").toString();
    }

    static String outcome(JobRecord r) {
        return r.lastOutcome().map(o -> o.success() ? "<span class=\"ok\">succeeded</span>"
                : "<span class=\"bad\">failed</span>: <span class=\"error\">" + text(o.message()) + "</span>")
                .orElse("<span class=\"muted\">none</span>");
    }

    private static void header(StringBuilder b, JobsQuery q, String sort, String label) {
        boolean current = q.sort().equals(sort);
        boolean nextDesc = current && !q.desc();
        b.append("<th scope=\"col\"");
        if (current) {
            b.append(" aria-sort=\"").append(q.desc() ? "descending" : "ascending").append('"');
        }
        b.append("><a id=\"sort-").append(sort).append("\" href=\"/ui/jobs")
                .append(q.parameters(Optional.of(sort), Optional.of(nextDesc), 1)).append("\">").append(label)
                .append("</a></th>");
    }

    private static void select(StringBuilder b, String id, String name, String label, List<String> values,
                               String chosen) {
        b.append("<label for=\"").append(id).append("\">").append(label).append("</label><select id=\"").append(id)
                .append("\" name=\"").append(name).append("\">");
        option(b, "", "any", chosen.isEmpty());
        for (String v : values) {
            option(b, v, v, v.equals(chosen));
        }
        b.append("</select>");
    }

    private static void option(StringBuilder b, String value, String label, boolean selected) {
        b.append("<option value=\"").append(text(value)).append('"').append(selected ? " selected" : "").append('>')
                .append(text(label)).append("</option>");
    }
}

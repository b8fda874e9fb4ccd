package dev.belfry.host.internal.admin.ui;

import static dev.belfry.host.internal.admin.ui.Html.text;
import static dev.belfry.host.internal.admin.ui.Html.url;

import java.util.List;
import java.util.Map;

/** The plugins: each running one with version, state, file, dependencies and jobs; the refused jars; reload. */
final class PluginsPage {
    /** Jobs listed per plugin; the rest are a link to the filtered jobs page. */
    static final int JOBS_SHOWN = 10;

    private PluginsPage() {
    }

    static String render(List<Map<String, Object>> plugins, List<?> problems, Role role) {
        StringBuilder b = new StringBuilder(16 * 1024).append("<div id=\"plugins-live\" data-live>");
        b.append("<div class=\"scroll\"><table id=\"plugins-table\"><caption class=\"sr-only\">Running plugins")
                .append("</caption><thead><tr><th scope=\"col\">Plugin</th><th scope=\"col\">Version</th>")
                .append("<th scope=\"col\">State</th><th scope=\"col\">File</th><th scope=\"col\">Depends on</th>")
                .append("<th scope=\"col\">Jobs</th>")
                .append(role == Role.OPERATOR ? "<th scope=\"col\">Action</th>" : "")
                .append("</tr></thead><tbody>");
        for (Map<String, Object> p : plugins) {
            String id = String.valueOf(p.get("id"));
            List<?> jobs = p.get("jobs") instanceof List<?> l ? l : List.of();
            List<?> deps = p.get("dependencies") instanceof List<?> l ? l : List.of();
            b.append("<tr data-plugin=\"").append(text(id)).append("\"><th scope=\"row\">").append(text(id))
                    .append("</th><td>").append(text(p.get("version"))).append("</td><td>").append(text(p.get("state")))
                    .append("</td><td><code>").append(text(p.get("file"))).append("</code></td><td>")
                    .append(deps.isEmpty() ? "<span class=\"muted\">none</span>" : text(String.join(", ",
                            deps.stream().map(String::valueOf).toList())))
                    .append("</td><td><a href=\"/ui/jobs?plugin=").append(url(id)).append("\">").append(jobs.size())
                    .append(jobs.size() == 1 ? " job" : " jobs").append("</a>");
            if (!jobs.isEmpty()) {
                b.append("<ul class=\"compact\">");
                jobs.stream().limit(JOBS_SHOWN).forEach(j -> b.append("<li>").append(JobsPage.link(String.valueOf(j)))
                        .append("</li>"));
                b.append("</ul>");
            }
            b.append("</td>");
            if (role == Role.OPERATOR) {
                b.append("<td><a class=\"button\" id=\"reload-").append(text(id)).append("\" href=\"/ui/plugins/")
                        .append(url(id)).append("/confirm\">Reload…</a></td>");
            }
            b.append("</tr>");
        }
        b.append("</tbody></table></div>");
        b.append("<section aria-labelledby=\"h-refused\"><h2 id=\"h-refused\">Refused</h2>");
        if (problems.isEmpty()) {
            b.append("<p id=\"refused-none\">No plugin or job was refused.</p>");
        } else {
            b.append("<ul id=\"refused\" class=\"problems\">");
            for (Object line : problems) {
                b.append("<li class=\"error\">").append(text(line)).append("</li>");
            }
            b.append("</ul>");
        }
        return b.append("</section></div>").toString();
    }

    static String confirm(String pluginId, Sessions.Session session) {
        return "<form method=\"post\" action=\"/ui/plugins/" + url(pluginId) + "/reload\" id=\"confirm-form\">"
                + Layout.csrf(session) + "<p id=\"confirm-question\">Reload plugin <strong>" + text(pluginId)
                + "</strong>? Its runs are cancelled, it and its dependents stop and it starts again from its file."
                + "</p><button type=\"submit\" id=\"confirm-action\" data-testid=\"confirm-action\">Reload</button> "
                + "<a href=\"/ui/plugins\" id=\"confirm-cancel\">Back without doing it</a></form>";
    }
}

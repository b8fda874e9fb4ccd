package dev.belfry.host.internal.admin.ui;

import static dev.belfry.host.internal.admin.ui.Html.text;

/**
 * The frame of every dashboard page: head with the dashboard's own stylesheet and script (no inline script or style,
 * as the Content-Security-Policy demands), navigation, the role, logout, and the page's main region.
 */
final class Layout {
    private Layout() {
    }

    /**
     * @param title   the page's title, plain text
     * @param nav     which navigation entry is current: {@code overview}, {@code jobs}, {@code plugins}, {@code graph}
     *                or empty
     * @param session the viewer's session
     * @param main    the page's main content, HTML
     * @return the whole page
     */
    static String page(String title, String nav, Sessions.Session session, String main) {
        StringBuilder b = new StringBuilder(4096 + main.length());
        b.append("<!DOCTYPE html>\n<html lang=\"en\"><head><meta charset=\"utf-8\">")
                .append("<meta name=\"viewport\" content=\"width=device-width, initial-scale=1\">")
                .append("<meta name=\"color-scheme\" content=\"light dark\">")
                .append("<title>").append(text(title)).append(" · Belfry</title>")
                // An empty icon: else the browser asks for /favicon.ico, outside /ui, where the admin API wants a token.
                .append("<link rel=\"icon\" href=\"data:,\"><link rel=\"stylesheet\" href=\"/ui/assets/app.css\">")
                .append("<script type=\"module\" src=\"/ui/assets/app.js\"></script></head><body>")
                .append("<a class=\"skip\" href=\"#main\">Skip to content</a>")
                .append("<header class=\"top\"><a class=\"brand\" href=\"/ui/\">Belfry</a>")
                .append("<nav aria-label=\"Dashboard\"><ul>");
        item(b, nav, "overview", "/ui/", "Overview");
        item(b, nav, "jobs", "/ui/jobs", "Jobs");
        item(b, nav, "plugins", "/ui/plugins", "Plugins");
        item(b, nav, "graph", "/ui/graph", "Graph");
        b.append("</ul></nav><div class=\"who\">")
                .append("<span id=\"live-status\" data-testid=\"live-status\" class=\"live\" role=\"status\"")
                .append(" aria-live=\"polite\">connecting</span>")
                .append("<span id=\"role\" data-testid=\"role\" class=\"badge\">")
                .append(session.role() == Role.OPERATOR ? "operator" : "viewer (read-only)").append("</span>")
                .append("<form method=\"post\" action=\"/ui/logout\" class=\"inline\">").append(csrf(session))
                .append("<button type=\"submit\" id=\"logout\" data-testid=\"logout\">Log out</button></form>")
                .append("</div></header><main id=\"main\" tabindex=\"-1\"><h1>").append(text(title)).append("</h1>")
                .append(main).append("</main></body></html>\n");
        return b.toString();
    }

    /**
     * A page for someone without a session: no navigation, nothing of the host.
     *
     * @param title   the title
     * @param message the explanation, HTML
     * @return the page
     */
    static String bare(String title, String message) {
        return "<!DOCTYPE html>\n<html lang=\"en\"><head><meta charset=\"utf-8\">"
                + "<meta name=\"viewport\" content=\"width=device-width, initial-scale=1\">"
                + "<meta name=\"color-scheme\" content=\"light dark\"><title>" + text(title) + " · Belfry</title>"
                + "<link rel=\"icon\" href=\"data:,\"><link rel=\"stylesheet\" href=\"/ui/assets/app.css\"></head><body><main id=\"main\"><h1>"
                + text(title) + "</h1>" + message + "</main></body></html>\n";
    }

    /**
     * @param session the session
     * @return the hidden form field carrying its CSRF token
     */
    static String csrf(Sessions.Session session) {
        return "<input type=\"hidden\" name=\"csrf\" value=\"" + text(session.csrf()) + "\">";
    }

    private static void item(StringBuilder b, String current, String name, String href, String label) {
        b.append("<li><a id=\"nav-").append(name).append("\" href=\"").append(href).append('"');
        if (name.equals(current)) {
            b.append(" aria-current=\"page\"");
        }
        b.append('>').append(label).append("</a></li>");
    }
}

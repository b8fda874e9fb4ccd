package dev.belfry.host.internal.admin.ui;

import static dev.belfry.host.internal.admin.ui.Html.text;
import static dev.belfry.host.internal.admin.ui.Html.url;

import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.Deque;
import java.util.LinkedHashMap;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;

/**
 * Plugins, their jobs and the plugins they depend on, drawn as SVG from the host's own lists (the same facts the
 * Neo4j mirror holds, so it works with the mirror off), with the answer to "what stops if this plugin goes?" as text
 * beside it.
 */
final class GraphPage {
    /** Jobs drawn per plugin; a node says how many more there are. */
    static final int JOBS_DRAWN = 8;
    private static final int ROW = 26;
    private static final int PLUGIN_X = 170;
    private static final int JOB_X = 420;

    private GraphPage() {
    }

    /**
     * @param dependency a dependency as the descriptor writes it, {@code id} or {@code id@versions}
     * @return the plugin id
     */
    static String dependencyId(String dependency) {
        int at = dependency.indexOf('@');
        return (at < 0 ? dependency : dependency.substring(0, at)).replace("?", "").strip();
    }

    static String render(List<Map<String, Object>> plugins) {
        Map<String, List<String>> jobs = new LinkedHashMap<>();
        Map<String, List<String>> dependsOn = new LinkedHashMap<>();
        for (Map<String, Object> p : plugins) {
            String id = String.valueOf(p.get("id"));
            jobs.put(id, p.get("jobs") instanceof List<?> l ? l.stream().map(String::valueOf).toList() : List.of());
            dependsOn.put(id, p.get("dependencies") instanceof List<?> l
                    ? l.stream().map(d -> dependencyId(String.valueOf(d))).toList() : List.of());
        }
        StringBuilder b = new StringBuilder(16 * 1024).append("<div id=\"graph-live\" data-live>");
        // On a narrow screen the drawing keeps its size and scrolls sideways, so that its labels stay readable.
        b.append("<div class=\"scroll\" tabindex=\"0\" role=\"region\" aria-label=\"The graph, scrolls sideways\">")
                .append(svg(jobs, dependsOn)).append("</div>");
        b.append("<section aria-labelledby=\"h-impact\"><h2 id=\"h-impact\">What stops if a plugin goes</h2>")
                .append("<ul id=\"impact\">");
        for (String id : jobs.keySet()) {
            Set<String> stopped = dependents(id, dependsOn);
            int jobCount = stopped.stream().mapToInt(p -> jobs.getOrDefault(p, List.of()).size()).sum();
            b.append("<li data-plugin=\"").append(text(id)).append("\"><strong>").append(text(id))
                    .append("</strong>: ").append(jobCount).append(jobCount == 1 ? " job" : " jobs");
            if (stopped.size() > 1) {
                List<String> others = new ArrayList<>(stopped);
                others.remove(id);
                b.append(", and the plugins that depend on it: ").append(text(String.join(", ", others)));
            }
            b.append(" (<a href=\"/ui/jobs?plugin=").append(url(id)).append("\">its jobs</a>)</li>");
        }
        return b.append("</ul></section></div>").toString();
    }

    /** The plugin and every plugin that depends on it, directly or not: those stop with it. */
    static Set<String> dependents(String id, Map<String, List<String>> dependsOn) {
        Set<String> out = new LinkedHashSet<>();
        Deque<String> todo = new ArrayDeque<>(List.of(id));
        while (!todo.isEmpty()) {
            String p = todo.removeFirst();
            if (out.add(p)) {
                dependsOn.forEach((other, deps) -> {
                    if (deps.contains(p)) {
                        todo.add(other);
                    }
                });
            }
        }
        return out;
    }

    private static String svg(Map<String, List<String>> jobs, Map<String, List<String>> dependsOn) {
        Map<String, Integer> pluginY = new LinkedHashMap<>();
        StringBuilder nodes = new StringBuilder();
        StringBuilder edges = new StringBuilder();
        int y = ROW;
        for (Map.Entry<String, List<String>> e : jobs.entrySet()) {
            String id = e.getKey();
            List<String> list = e.getValue();
            int drawn = Math.min(JOBS_DRAWN, list.size());
            int rows = Math.max(1, drawn + (list.size() > drawn ? 1 : 0));
            int py = y + (rows - 1) * ROW / 2;
            pluginY.put(id, py);
            nodes.append("<g class=\"node plugin\" data-plugin=\"").append(text(id)).append("\"><rect x=\"")
                    .append(PLUGIN_X - 150).append("\" y=\"").append(py - 10).append("\" width=\"150\" height=\"20\"")
                    .append(" rx=\"4\"/><text x=\"").append(PLUGIN_X - 144).append("\" y=\"").append(py + 4)
                    .append("\">").append(text(shorten(id))).append("</text><title>plugin ").append(text(id))
                    .append("</title></g>");
            for (int i = 0; i < rows; i++) {
                int jy = y + i * ROW;
                boolean more = i == drawn;
                String label = more ? "+" + (list.size() - drawn) + " more" : list.get(i);
                edges.append("<line class=\"edge\" x1=\"").append(PLUGIN_X).append("\" y1=\"").append(py)
                        .append("\" x2=\"").append(JOB_X - 4).append("\" y2=\"").append(jy).append("\"/>");
                if (list.isEmpty()) {
                    label = "no jobs";
                }
                nodes.append("<g class=\"node job\"><a href=\"").append(more || list.isEmpty() ? "/ui/jobs?plugin="
                                + url(id) : "/ui/jobs/" + url(label)).append("\"><rect x=\"").append(JOB_X)
                        .append("\" y=\"").append(jy - 10)
                        .append("\" width=\"260\" height=\"20\" rx=\"10\"/><text x=\"")
                        .append(JOB_X + 8).append("\" y=\"").append(jy + 4).append("\">").append(text(shorten(label)))
                        .append("</text><title>").append(text(label)).append("</title></a></g>");
            }
            y += rows * ROW + 10;
        }
        // A dependency is an arc on the left from the dependent plugin to the one it needs.
        dependsOn.forEach((id, deps) -> deps.forEach(dep -> {
            Integer from = pluginY.get(id);
            Integer to = pluginY.get(dep);
            if (from != null && to != null) {
                int bend = Math.max(8, 20 - Math.abs(from - to) / 20);
                edges.append("<path class=\"edge dependency\" marker-end=\"url(#arrow)\" d=\"M").append(PLUGIN_X - 150)
                        .append(' ').append(from).append(" C").append(bend - 10).append(' ').append(from).append(' ')
                        .append(bend - 10).append(' ').append(to).append(' ').append(PLUGIN_X - 152).append(' ')
                        .append(to).append("\"><title>").append(text(id)).append(" depends on ").append(text(dep))
                        .append("</title></path>");
            }
        }));
        return "<svg id=\"graph\" class=\"graph\" viewBox=\"0 0 700 " + Math.max(y, 60) + "\" role=\"group\""
                + " aria-label=\"" + jobs.size() + " plugins with their jobs; arcs on the left point from a plugin"
                + " to the plugin it depends on\"><defs><marker id=\"arrow\" viewBox=\"0 0 10 10\" refX=\"9\""
                + " refY=\"5\" markerWidth=\"6\" markerHeight=\"6\" orient=\"auto-start-reverse\"><path"
                + " class=\"arrow\" d=\"M 0 0 L 10 5 L 0 10 z\"/></marker></defs>" + edges + nodes + "</svg>";
    }

    private static String shorten(String s) {
        return s.length() <= 34 ? s : s.substring(0, 33) + "…";
    }
}

package dev.belfry.host.internal.admin;

import dev.belfry.api.QName;
import dev.belfry.host.JobOperationException;
import dev.belfry.host.internal.engine.JobSnapshot;
import dev.belfry.host.internal.engine.RunResult;
import dev.belfry.sidecar.JobStatus;
import java.net.URI;
import java.net.URLDecoder;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Optional;

/**
 * The admin API's routes, free of HTTP plumbing so they can be reasoned about (and tested) as plain calls.
 *
 * <pre>
 * GET  /health                       engine, state writer and graph mirror
 * GET  /jobs[?plugin=P][&amp;status=S]   jobs
 * GET  /jobs/QNAME                   one job, its running runs with progress, and its last runs
 * POST /jobs/QNAME/trigger|pause|resume|cancel
 * GET  /plugins                      plugins with their state and jobs
 * POST /plugins/ID/reload
 * GET  /metrics                      Prometheus text format
 * GET  /livez, /readyz               probes, without a token: 200 or 503 and one line of plain text
 * </pre>
 */
public final class AdminApi {
    private final AdminBackend host;

    /** @param host the host being administered */
    public AdminApi(AdminBackend host) {
        this.host = host;
    }

    /**
     * A response: a status and a JSON-ready body (or a String sent as text).
     *
     * @param status the HTTP status
     * @param body   the body
     */
    public record Response(int status, Object body) {
    }

    /** A request the API refuses, with its HTTP status and a one-line reason. */
    public static final class ApiException extends RuntimeException {
        private static final long serialVersionUID = 1L;
        private final int status;

        ApiException(int status, String message) {
            super(message);
            this.status = status;
        }

        /** @return the HTTP status */
        public int status() {
            return status;
        }
    }

    /**
     * The probes answer without a token: a supervisor (systemd, Kubernetes) has none, and they tell nothing but
     * whether the host is alive and ready, with a reason in a few words.
     *
     * @param method the HTTP method
     * @param uri    the request's target
     * @return whether the request is a probe: GET of either path, as it is, without a query or a fragment
     */
    static boolean isProbe(String method, URI uri) {
        return "GET".equals(method) && uri.getRawQuery() == null && uri.getRawFragment() == null
                && ("/livez".equals(uri.getRawPath()) || "/readyz".equals(uri.getRawPath()));
    }

    /**
     * @param method the HTTP method
     * @param uri    the request URI
     * @param body   the request body (no route takes one; anything non-blank is refused)
     * @return the response
     * @throws ApiException for bad requests
     */
    public Response handle(String method, URI uri, byte[] body) {
        List<String> path = segments(uri.getRawPath());
        Map<String, String> query = query(uri.getRawQuery());
        if (path.isEmpty()) {
            throw new ApiException(404, "no such endpoint: /");
        }
        switch (path.get(0)) {
            case "livez" -> {
                expect(method, "GET", path, 1);
                return new Response(200, "ok\n");
            }
            case "readyz" -> {
                expect(method, "GET", path, 1);
                List<String> why = host.notReady();
                return why.isEmpty() ? new Response(200, "ready\n")
                        : new Response(503, "not ready: " + String.join("; ", why) + "\n");
            }
            case "health" -> {
                expect(method, "GET", path, 1);
                return new Response(200, host.health());
            }
            case "metrics" -> {
                expect(method, "GET", path, 1);
                return new Response(200, host.metrics());
            }
            case "jobs" -> {
                return jobs(method, path, query, body);
            }
            case "plugins" -> {
                if (path.size() == 1) {
                    expect(method, "GET", path, 1);
                    return new Response(200, host.plugins());
                }
                if (path.size() == 3 && "reload".equals(path.get(2))) {
                    expect(method, "POST", path, 3);
                    requireEmpty(body);
                    var outcome = host.reload(path.get(1));
                    if (!outcome.wasRunning()) {
                        throw new ApiException(404, "no plugin named " + path.get(1));
                    }
                    if (outcome.refusal().isPresent()) {
                        throw new ApiException(409, "plugin " + path.get(1) + " was stopped and did not start again: "
                                + outcome.refusal().get());
                    }
                    return new Response(200, Map.of("plugin", path.get(1), "reloaded", true));
                }
                throw new ApiException(404, "no such endpoint: " + uri.getRawPath());
            }
            default -> throw new ApiException(404, "no such endpoint: " + uri.getRawPath());
        }
    }

    private Response jobs(String method, List<String> path, Map<String, String> query, byte[] body) {
        if (path.size() == 1) {
            expect(method, "GET", path, 1);
            Optional<String> plugin = Optional.ofNullable(query.get("plugin"));
            Optional<JobStatus> status = Optional.ofNullable(query.get("status")).map(AdminApi::status);
            List<Map<String, Object>> out = host.jobs().stream()
                    .filter(j -> plugin.map(p -> p.equals(j.record().pluginId())).orElse(true))
                    .filter(j -> status.map(s -> s == j.record().status()).orElse(true))
                    .map(j -> job(j, List.of())).toList();
            return new Response(200, out);
        }
        QName qname = qname(path.get(1));
        if (path.size() == 2) {
            expect(method, "GET", path, 2);
            JobSnapshot view = host.job(qname).orElseThrow(() -> new ApiException(404, "no job named " + qname));
            Map<String, Object> one = job(view, host.runs(qname));
            one.putAll(JobJson.fields(view.record(), JobJson.SHOWN_ALONE));
            return new Response(200, one);
        }
        if (path.size() == 3) {
            expect(method, "POST", path, 3);
            requireEmpty(body);
            try {
                Object result = switch (path.get(2)) {
                    case "trigger" -> host.trigger(qname).name().toLowerCase(Locale.ROOT);
                    case "pause" -> { host.pause(qname); yield "paused"; }
                    case "resume" -> { host.resume(qname); yield "resumed"; }
                    case "cancel" -> { host.cancel(qname); yield "cancelled"; }
                    default -> throw new ApiException(404, "no such job operation: " + path.get(2)
                            + " (trigger, pause, resume or cancel)");
                };
                return new Response(200, Map.of("job", qname.toString(), "result", result));
            } catch (JobOperationException e) {
                throw new ApiException(e.reason() == JobOperationException.Reason.NOT_FOUND ? 404 : 409,
                        e.getMessage());
            }
        }
        throw new ApiException(404, "no such endpoint: /" + String.join("/", path));
    }

    /** The JSON shape of a job, shared by list and show. */
    static Map<String, Object> job(JobSnapshot view, List<RunResult> runs) {
        Map<String, Object> m = JobJson.fields(view.record(), JobJson.LISTED);
        m.put("running", view.running().stream().map(run -> {
            Map<String, Object> out = new LinkedHashMap<>();
            out.put("run_id", run.id());
            out.put("scheduled_for", run.scheduledFor().toString());
            out.put("fired_at", run.firedAt().toString());
            out.put("attempt", run.attempt());
            out.put("progress", run.progress());
            out.put("message", run.message());
            return out;
        }).toList());
        if (!runs.isEmpty()) {
            m.put("runs", runs.stream().map(run -> {
                Map<String, Object> out = new LinkedHashMap<>();
                out.put("run_id", run.runId());
                out.put("scheduled_for", run.scheduledFor().toString());
                out.put("started_at", run.firedAt().toString());
                out.put("finished_at", run.finishedAt().toString());
                out.put("attempt", run.attempt());
                out.put("duration_ms", Duration.between(run.firedAt(), run.finishedAt()).toMillis());
                out.put("success", run.error().isEmpty());
                out.put("error", run.error().orElse(null));
                return out;
            }).toList());
        }
        return m;
    }

    private static void expect(String method, String allowed, List<String> path, int length) {
        if (path.size() != length) {
            throw new ApiException(404, "no such endpoint: /" + String.join("/", path));
        }
        if (!allowed.equals(method)) {
            throw new ApiException(405, method + " is not allowed on /" + String.join("/", path) + "; use "
                    + allowed);
        }
    }

    private static void requireEmpty(byte[] body) {
        if (body != null && !new String(body, StandardCharsets.UTF_8).isBlank()) {
            throw new ApiException(400, "this operation takes no request body");
        }
    }

    private static QName qname(String text) {
        try {
            return QName.parse(text);
        } catch (IllegalArgumentException e) {
            throw new ApiException(400, e.getMessage());
        }
    }

    private static JobStatus status(String text) {
        try {
            return JobStatus.fromJsonName(text);
        } catch (IllegalArgumentException e) {
            throw new ApiException(400, "status: " + e.getMessage());
        }
    }

    private static List<String> segments(String rawPath) {
        if (rawPath == null) {
            return List.of();
        }
        return java.util.Arrays.stream(rawPath.split("/")).filter(s -> !s.isEmpty())
                .map(s -> URLDecoder.decode(s, StandardCharsets.UTF_8)).toList();
    }

    private static Map<String, String> query(String raw) {
        Map<String, String> out = new LinkedHashMap<>();
        if (raw == null || raw.isEmpty()) {
            return out;
        }
        for (String pair : raw.split("&")) {
            int eq = pair.indexOf('=');
            if (eq <= 0) {
                throw new ApiException(400, "malformed query parameter: " + pair);
            }
            String key = URLDecoder.decode(pair.substring(0, eq), StandardCharsets.UTF_8);
            if (!key.equals("plugin") && !key.equals("status")) {
                throw new ApiException(400, "unknown query parameter: " + key + " (plugin, status)");
            }
            out.put(key, URLDecoder.decode(pair.substring(eq + 1), StandardCharsets.UTF_8));
        }
        return out;
    }
}

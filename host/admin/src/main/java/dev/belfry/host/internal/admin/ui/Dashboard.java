package dev.belfry.host.internal.admin.ui;

import static dev.belfry.host.internal.admin.ui.Html.text;
import static dev.belfry.host.internal.admin.ui.Html.url;

import dev.belfry.api.QName;
import dev.belfry.host.JobOperationException;
import dev.belfry.host.StoreUnavailableException;
import dev.belfry.host.internal.admin.AdminBackend;
import dev.belfry.host.internal.engine.JobSnapshot;
import dev.belfry.host.internal.state.SmallFiles;
import java.io.IOException;
import java.io.InputStream;
import java.io.UncheckedIOException;
import java.net.URI;
import java.net.URLDecoder;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.security.MessageDigest;
import java.security.SecureRandom;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayDeque;
import java.util.Arrays;
import java.util.Base64;
import java.util.Deque;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import java.util.SortedSet;
import java.util.TreeSet;
import java.util.concurrent.ConcurrentHashMap;
import java.util.stream.Collectors;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The web dashboard under {@code /ui/} of the admin server: login by one-time code, sessions by cookie, pages drawn
 * on the server, actions by POST with a CSRF token and a same-origin check, changes pushed by server-sent events.
 * See docs/dashboard.md for the security model.
 */
public final class Dashboard implements AutoCloseable {
    private static final Logger log = LoggerFactory.getLogger(Dashboard.class);
    /** Streams one login keeps: a few tabs; its older ones are ended, so one login cannot fill the hub. */
    static final int STREAMS_PER_SESSION = 4;
    /** Streams a viewer can never take: a read-only login must not cut the operators' live pages. */
    static final int STREAMS_KEPT_FOR_OPERATORS = 8;

    /** The file holding the token that gets viewer login codes (the admin token gets operator ones). */
    public static final String VIEWER_TOKEN_FILE = "dashboard-viewer.token";
    /** The session cookie's name. */
    public static final String COOKIE = "belfry_session";

    private final AdminBackend host;
    /** Every job, for the lists filtered or sorted otherwise than by name. */
    private final Shared<List<JobSnapshot>> jobs;
    private final Shared<String> overview;
    /** The plugins of the last list of names the host gave (the same list until a job is added or removed). */
    private volatile PluginsOf pluginsOf;
    private final Clock clock;
    private final Sessions sessions;
    private final MinuteCounts counts;
    private final EventHub events;
    /** The list pages' main part, drawn once per shared snapshot: open dashboards reload them together. */
    private final RenderedPages rendered = new RenderedPages();
    private final byte[] viewerToken;
    /** The newest streams of each session; an entry goes with its session's logout or expiry. */
    private final Map<String, Deque<EventHub.Sink>> streamsBySession = new ConcurrentHashMap<>();
    private final byte[] css = asset("app.css");
    private final byte[] js = asset("app.js");

    /**
     * @param host        what the pages show and the actions act on
     * @param clock       the present for pages and session expiry
     * @param counts      runs per minute, fed by the module
     * @param events      changes, fed by the module
     * @param viewerToken the token that gets viewer codes
     */
    public Dashboard(AdminBackend host, Clock clock, MinuteCounts counts, EventHub events, String viewerToken) {
        this.host = host;
        this.jobs = new Shared<>(host::jobs, System::nanoTime, events::busy);
        this.overview = new Shared<>(this::drawOverview, System::nanoTime, events::busy);
        this.clock = clock;
        this.sessions = new Sessions(clock);
        this.counts = counts;
        this.events = events;
        this.viewerToken = viewerToken.getBytes(StandardCharsets.US_ASCII);
    }

    /**
     * Makes a new viewer token and writes it to {@link #VIEWER_TOKEN_FILE}, owner-only, as the admin token is.
     *
     * @param dataDir the data directory
     * @return the token
     * @throws IOException if the file cannot be written
     */
    public static String writeViewerToken(Path dataDir) throws IOException {
        byte[] random = new byte[32];
        new SecureRandom().nextBytes(random);
        String token = Base64.getUrlEncoder().withoutPadding().encodeToString(random);
        SmallFiles.writeAtomically(dataDir.resolve(VIEWER_TOKEN_FILE), token + "\n", true);
        return token;
    }

    /** @return the sessions, for tests */
    Sessions sessions() {
        return sessions;
    }

    /**
     * @param request a request whose path is {@code /ui} or under it
     * @return the answer
     */
    public UiResponse handle(UiRequest request) {
        if (!ownHost(request)) {
            // A page of another site whose name was pointed at 127.0.0.1 (DNS rebinding) names its own host here.
            return UiResponse.page(421, Layout.bare("Wrong address", "<p id=\"wrong-host\">The dashboard answers"
                    + " only at its own address, " + text(request.origin()) + "/ui/.</p>"));
        }
        String path = request.uri().getRawPath();
        String rest = path.length() <= 3 ? "" : path.substring(3); // after "/ui"
        try {
            return route(request, rest);
        } catch (StoreUnavailableException e) {
            return UiResponse.page(503, Layout.bare("State out of reach", "<p role=\"alert\" id=\"error\">"
                    + text(e.getMessage()) + "</p>"));
        }
    }

    private UiResponse route(UiRequest request, String rest) {
        if (rest.isEmpty()) {
            return UiResponse.redirect("/ui/");
        }
        if (rest.equals("/assets/app.css")) {
            return UiResponse.asset("text/css; charset=utf-8", css);
        }
        if (rest.equals("/assets/app.js")) {
            return UiResponse.asset("text/javascript; charset=utf-8", js);
        }
        if (rest.equals("/codes")) {
            return codes(request);
        }
        if (rest.equals("/login")) {
            return login(request);
        }
        Optional<Sessions.Session> found = request.cookie(COOKIE).flatMap(sessions::find);
        if (found.isEmpty()) {
            return UiResponse.page(401, Layout.bare("Not logged in", "<p id=\"login-needed\">Your session ended or"
                    + " you have not logged in. Run <code>belfry dashboard --data DIR</code> for a new login link."
                    + "</p>"));
        }
        Sessions.Session session = found.get();
        if (request.method().equals("POST")) {
            return post(request, rest, session);
        }
        if (!request.method().equals("GET")) {
            return UiResponse.page(405, Layout.bare("Not allowed", "<p>Use GET to read and POST to act.</p>"))
                    .with("Allow", "GET, POST");
        }
        List<String> parts = segments(rest);
        if (isAction(parts)) {
            return UiResponse.page(405, Layout.page("Not allowed", "", session, "<p id=\"not-allowed\">This address"
                    + " carries out an action: the dashboard's buttons send it (POST), a link cannot.</p>"))
                    .with("Allow", "POST");
        }
        if (parts.isEmpty()) {
            return ok("Overview", "overview", session, overview.get());
        }
        switch (parts.get(0)) {
            case "events" -> {
                return stream(request, session);
            }
            case "jobs" -> {
                if (parts.size() == 1) {
                    JobsQuery query;
                    try {
                        query = JobsQuery.from(request.query());
                    } catch (IllegalArgumentException e) {
                        return UiResponse.page(400, Layout.page("Jobs", "jobs", session, alert("This jobs page"
                                + " cannot be shown: " + e.getMessage() + ".") + "<p><a href=\"/ui/jobs\">All jobs"
                                + "</a></p>"));
                    }
                    return ok("Jobs", "jobs", session, jobs(request, query));
                }
                if (parts.size() == 2) {
                    return job(session, parts.get(1), 200, notice(request.query()));
                }
                if (parts.size() == 3 && parts.get(2).equals("confirm")) {
                    String action = request.query().getOrDefault("action", "");
                    if (!JobPage.ACTIONS.contains(action) || !exists(parts.get(1))) {
                        return notFound(session);
                    }
                    if (session.role() != Role.OPERATOR) {
                        return readOnly(session);
                    }
                    return ok(JobPage.label(action) + " " + parts.get(1), "jobs", session,
                            JobPage.confirm(parts.get(1), action, session));
                }
                return notFound(session);
            }
            case "plugins" -> {
                if (parts.size() == 1) {
                    return ok("Plugins", "plugins", session, plugins(session.role(), ""));
                }
                if (parts.size() == 3 && parts.get(2).equals("confirm")) {
                    if (host.plugins().stream().noneMatch(p -> parts.get(1).equals(p.get("id")))) {
                        return notFound(session);
                    }
                    if (session.role() != Role.OPERATOR) {
                        return readOnly(session);
                    }
                    return ok("Reload " + parts.get(1), "plugins", session, PluginsPage.confirm(parts.get(1), session));
                }
                return notFound(session);
            }
            case "graph" -> {
                if (parts.size() == 1) {
                    return ok("Graph", "graph", session, GraphPage.render(host.plugins()));
                }
                return notFound(session);
            }
            default -> {
                return notFound(session);
            }
        }
    }

    /**
     * The list by name, as most open lists are, is cut from the host's names in order (one list until a job is added
     * or removed) and only its page's jobs are read; a filtered or otherwise sorted list is drawn from the shared
     * snapshot of every job.
     */
    private String jobs(UiRequest request, JobsQuery query) {
        Optional<List<QName>> names = query.byNameOnly() ? host.names() : Optional.empty();
        if (names.isPresent()) {
            return JobsPage.render(query, query.page(names.get(), host::jobs), names.get().size(),
                    plugins(names.get()));
        }
        List<JobSnapshot> all = jobs.get();
        return rendered.get("jobs?" + request.query(), all, () -> JobsPage.render(query, query.apply(all), all.size(),
                all.stream().map(j -> j.record().pluginId()).collect(Collectors.toCollection(TreeSet::new))));
    }

    private record PluginsOf(List<QName> names, SortedSet<String> plugins) {
    }

    /** @return the plugins of these jobs, worked out once per list of names */
    private SortedSet<String> plugins(List<QName> names) {
        PluginsOf known = pluginsOf;
        if (known == null || known.names() != names) {
            known = new PluginsOf(names, names.stream().map(QName::namespace)
                    .collect(Collectors.toCollection(TreeSet::new)));
            pluginsOf = known;
        }
        return known.plugins();
    }

    /** The overview reads no job one by one: the host's counts by status and the top of its timers. */
    private String drawOverview() {
        Instant now = clock.instant();
        return OverviewPage.render(host.health(), host.atAGlance(now.plus(Duration.ofHours(1)),
                OverviewPage.DUE_SHOWN), counts, now);
    }

    private boolean exists(String job) {
        try {
            return host.job(QName.parse(job)).isPresent();
        } catch (IllegalArgumentException e) {
            return false;
        }
    }

    private static boolean isAction(List<String> parts) {
        return parts.equals(List.of("logout"))
                || parts.size() == 3 && parts.get(0).equals("jobs") && JobPage.ACTIONS.contains(parts.get(2))
                || parts.size() == 3 && parts.get(0).equals("plugins") && parts.get(2).equals("reload");
    }

    private UiResponse post(UiRequest request, String rest, Sessions.Session session) {
        if (!sameOrigin(request)) {
            return refused(session, 403, "This request did not come from the dashboard's own page (Origin or"
                    + " Referer missing or foreign), so it was not carried out.");
        }
        if (!Sessions.sameToken(session.csrf(), request.form().get("csrf"))) {
            return refused(session, 403, "This form's security token is missing or stale; reload the page and try"
                    + " again.");
        }
        List<String> parts = segments(rest);
        if (parts.equals(List.of("logout"))) {
            request.cookie(COOKIE).ifPresent(sessions::logout);
            return UiResponse.page(200, Layout.bare("Logged out", "<p id=\"logged-out\">You are logged out. Run"
                    + " <code>belfry dashboard --data DIR</code> to log in again.</p>"))
                    .with("Set-Cookie", COOKIE + "=; Path=/ui; HttpOnly; SameSite=Strict; Max-Age=0");
        }
        if (session.role() != Role.OPERATOR) {
            return readOnly(session);
        }
        try {
            return act(session, parts);
        } finally {
            jobs.changed(); // once the action is done: the next page shows its effect
            overview.changed();
        }
    }

    private UiResponse act(Sessions.Session session, List<String> parts) {
        if (parts.size() == 3 && parts.get(0).equals("jobs") && JobPage.ACTIONS.contains(parts.get(2))) {
            return act(session, parts.get(1), parts.get(2));
        }
        if (parts.size() == 3 && parts.get(0).equals("plugins") && parts.get(2).equals("reload")) {
            var outcome = host.reload(parts.get(1));
            if (!outcome.wasRunning()) {
                return UiResponse.page(404, Layout.page("Plugins", "plugins", session, plugins(session.role(),
                        alert("No plugin named " + parts.get(1) + " is running."))));
            }
            if (outcome.refusal().isPresent()) {
                return UiResponse.page(409, Layout.page("Plugins", "plugins", session, plugins(session.role(),
                        alert("Plugin " + parts.get(1) + " was stopped and did not start again: "
                                + outcome.refusal().get()))));
            }
            return UiResponse.redirect("/ui/plugins");
        }
        return notFound(session);
    }

    private UiResponse act(Sessions.Session session, String name, String action) {
        QName qname;
        try {
            qname = QName.parse(name);
        } catch (IllegalArgumentException e) {
            return notFound(session);
        }
        String result;
        try {
            result = switch (action) {
                case "trigger" -> host.trigger(qname).name().toLowerCase(Locale.ROOT);
                case "pause" -> { host.pause(qname); yield "paused"; }
                case "resume" -> { host.resume(qname); yield "resumed"; }
                case "cancel" -> { host.cancel(qname); yield "cancelled"; }
                default -> throw new IllegalStateException("unknown action " + action);
            };
        } catch (JobOperationException e) {
            if (e.reason() == JobOperationException.Reason.NOT_FOUND) {
                return notFound(session);
            }
            // Shown with the page, so the operator sees the job as it is and why the host said no.
            return job(session, name, 409, alert("The host refused to " + action + " " + name + ": "
                    + e.getMessage()));
        }
        if (action.equals("cancel") && host.job(qname).isEmpty()) {
            return UiResponse.redirect("/ui/jobs"); // a job added at run time is gone once cancelled
        }
        return UiResponse.redirect("/ui/jobs/" + url(name) + "?done=" + action + "&result=" + url(result));
    }

    private UiResponse job(Sessions.Session session, String name, int status, String notice) {
        QName qname;
        try {
            qname = QName.parse(name);
        } catch (IllegalArgumentException e) {
            return notFound(session);
        }
        return host.job(qname).map(j -> UiResponse.page(status, Layout.page(name, "jobs", session,
                JobPage.render(j, host.runs(qname), session.role(), clock.instant(), notice))))
                .orElseGet(() -> notFound(session));
    }

    private static String notice(Map<String, String> query) {
        String done = query.get("done");
        if (done == null || !JobPage.ACTIONS.contains(done)) {
            return "";
        }
        // Only the words this action can end with: a link must not make the page say what its author likes.
        String result = query.getOrDefault("result", "");
        if (!RESULTS.getOrDefault(done, Set.of()).contains(result)) {
            return "";
        }
        return "<p class=\"notice\" role=\"status\" id=\"notice\" data-testid=\"notice\">" + JobPage.label(done)
                + ": " + result + ".</p>";
    }

    /** What each action that was done can end with, as the notice says it. */
    private static final Map<String, Set<String>> RESULTS = Map.of("trigger", Set.of("started", "queued", "skipped"),
            "pause", Set.of("paused"), "resume", Set.of("resumed"), "cancel", Set.of("cancelled"));

    private static String alert(String message) {
        return "<p class=\"alert\" role=\"alert\" id=\"refusal\" data-testid=\"refusal\">" + text(message) + "</p>";
    }

    private String plugins(Role role, String notice) {
        List<?> problems = host.health().get("plugin_problems") instanceof List<?> l ? l : List.of();
        return notice + PluginsPage.render(host.plugins(), problems, role);
    }

    private UiResponse stream(UiRequest request, Sessions.Session session) {
        // Checked here for a clear 503, and again as the stream opens (EventHub.open), where many opening at once
        // cannot all pass.
        int limit = session.role() == Role.OPERATOR ? EventHub.MAX_STREAMS
                : EventHub.MAX_STREAMS - STREAMS_KEPT_FOR_OPERATORS;
        if (events.streams() >= limit) {
            return UiResponse.page(503, Layout.bare("Busy", "<p>Too many open dashboards.</p>"))
                    .with("Retry-After", "30");
        }
        Optional<Long> last = Optional.ofNullable(request.headers().get("last-event-id"))
                .filter(s -> s.matches("\\d{1,18}")).map(Long::parseLong);
        String id = session.id();
        return UiResponse.stream(sink -> {
            // The stream lives only as long as its session: a logout or an expiry ends it at the next send.
            EventHub.Sink bounded = new EventHub.Sink() {
                @Override
                public boolean send(byte[] bytes) {
                    return sessions.alive(id) && sink.send(bytes);
                }

                @Override
                public void close() {
                    sink.close();
                }
            };
            // A login keeps its newest streams: a page left or reloaded leaves its stream open until the next send
            // finds it gone, so the oldest of a login's streams is ended rather than the new one refused.
            streamsBySession.keySet().removeIf(other -> !sessions.alive(other)); // sessions that ended meanwhile
            Deque<EventHub.Sink> mine = streamsBySession.computeIfAbsent(id, s -> new ArrayDeque<>());
            EventHub.Sink oldest = null;
            synchronized (mine) {
                mine.addLast(bounded);
                if (mine.size() > STREAMS_PER_SESSION) {
                    oldest = mine.pollFirst();
                }
            }
            if (oldest != null) {
                oldest.close();
            }
            if (!events.open(bounded, last, limit)) {
                synchronized (mine) {
                    mine.remove(bounded);
                }
                sink.close();
            }
        });
    }

    /** A viewer asked for what only an operator may do: the same answer whether it is a form or its confirmation. */
    private UiResponse readOnly(Sessions.Session session) {
        return refused(session, 403, "You are logged in as a viewer, which is read-only; actions need an"
                + " operator login (belfry dashboard without --viewer).");
    }

    private UiResponse codes(UiRequest request) {
        if (!request.method().equals("POST")) {
            return UiResponse.json(405, "{\"error\":\"use POST\"}").with("Allow", "POST");
        }
        String asked = request.query().getOrDefault("role", "operator");
        if (!asked.equals("operator") && !asked.equals("viewer")) {
            return UiResponse.json(400, "{\"error\":\"role must be operator or viewer\"}");
        }
        boolean viewer = asked.equals("viewer");
        String header = request.headers().getOrDefault("authorization", "");
        boolean viewerBearer = header.startsWith("Bearer ") && MessageDigest.isEqual(viewerToken,
                header.substring(7).strip().getBytes(StandardCharsets.ISO_8859_1));
        if (!request.adminBearer() && !viewerBearer) {
            return UiResponse.json(401, "{\"error\":\"missing or wrong bearer token: the admin token gets operator"
                    + " codes, the viewer token (" + VIEWER_TOKEN_FILE + ") viewer codes\"}");
        }
        if (!request.adminBearer() && !viewer) {
            return UiResponse.json(403, "{\"error\":\"the viewer token gets viewer codes only (role=viewer)\"}");
        }
        Role role = viewer ? Role.VIEWER : Role.OPERATOR;
        String code = sessions.issueCode(role);
        URI login = request.origin().resolve("/ui/login?code=" + code);
        return UiResponse.json(200, "{\"url\":" + EventHub.quote(login.toString()) + ",\"role\":\""
                + role.name().toLowerCase(Locale.ROOT) + "\",\"expires_in_seconds\":"
                + Sessions.CODE_TTL.toSeconds() + "}");
    }

    private UiResponse login(UiRequest request) {
        Optional<Sessions.Session> session = Optional.ofNullable(request.query().get("code")).flatMap(sessions::redeem);
        if (session.isEmpty()) {
            return UiResponse.page(401, Layout.bare("Login link not valid", "<p id=\"login-refused\">This login link"
                    + " was used already or has expired (links last " + Sessions.CODE_TTL.toMinutes() + " minutes"
                    + " and work once). Run <code>belfry dashboard --data DIR</code> for a new one.</p>"));
        }
        log.info("dashboard: {} logged in", session.get().role() == Role.OPERATOR ? "an operator" : "a viewer");
        // No Secure flag: the server speaks plain HTTP on the loopback address, where the browser would drop it.
        return UiResponse.redirect("/ui/").with("Set-Cookie", COOKIE + "=" + session.get().id()
                + "; Path=/ui; HttpOnly; SameSite=Strict; Max-Age=" + Sessions.ABSOLUTE_TTL.toSeconds());
    }

    /** A form post must come from a page of this server: its Origin (or, without one, its Referer) says so. */
    private static boolean ownHost(UiRequest request) {
        String own = request.origin().getRawAuthority();
        String host = request.headers().getOrDefault("host", "");
        return host.equals(own) || host.equals(own.replace("127.0.0.1", "localhost"));
    }

    private static boolean sameOrigin(UiRequest request) {
        String own = request.origin().toString();
        String alias = own.replace("127.0.0.1", "localhost");
        String origin = request.headers().get("origin");
        if (origin != null) {
            return origin.equals(own) || origin.equals(alias);
        }
        String referer = request.headers().get("referer");
        return referer != null && (referer.startsWith(own + "/") || referer.startsWith(alias + "/"));
    }

    private static UiResponse ok(String title, String nav, Sessions.Session session, String main) {
        return UiResponse.page(200, Layout.page(title, nav, session, main));
    }

    private static UiResponse notFound(Sessions.Session session) {
        return UiResponse.page(404, Layout.page("Not found", "", session, "<p id=\"not-found\">There is no such"
                + " page, job or plugin (it may have been removed).</p>"));
    }

    private static UiResponse refused(Sessions.Session session, int status, String why) {
        return UiResponse.page(status, Layout.page("Refused", "", session, alert(why)));
    }

    private static List<String> segments(String rest) {
        return Arrays.stream(rest.split("/")).filter(s -> !s.isEmpty())
                .map(s -> URLDecoder.decode(s.replace("+", "%2B"), StandardCharsets.UTF_8)).toList();
    }

    private static byte[] asset(String name) {
        try (InputStream in = Dashboard.class.getResourceAsStream(name)) {
            if (in == null) {
                throw new IllegalStateException("the dashboard's " + name + " is missing from the jar");
            }
            return in.readAllBytes();
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    /** Ends every event stream. */
    @Override
    public void close() {
        events.close();
    }
}

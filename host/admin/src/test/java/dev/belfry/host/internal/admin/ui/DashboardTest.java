package dev.belfry.host.internal.admin.ui;

import static org.assertj.core.api.Assertions.assertThat;

import dev.belfry.api.QName;
import dev.belfry.api.schedule.Schedule;
import dev.belfry.host.internal.admin.AdminApi;
import dev.belfry.host.internal.admin.AdminServer;
import dev.belfry.host.internal.engine.RunResult;
import dev.belfry.host.testing.FakeClock;
import dev.belfry.sidecar.JobStatus;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermission;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** The dashboard over plain HTTP against a fake host: login, sessions, CSRF, roles, escaping, the jobs list. */
class DashboardTest {
    /** Text that breaks pages that do not escape: markup, attribute breakers, an event handler, controls. */
    static final String HOSTILE = "<script>alert(1)</script>\"'><img src=x onerror=alert(2)>`&amp;\u0000\u202e";

    @TempDir
    Path data;

    private final FakeClock clock = FakeClock.at("2027-03-27T12:00:00Z");
    private final FakeBackend host = new FakeBackend();
    private final HttpClient http = HttpClient.newHttpClient();
    private final MinuteCounts minutes = new MinuteCounts();
    private EventHub events;
    private AdminServer server;
    private Browser browser;

    @BeforeEach
    void start() throws Exception {
        host.add(FakeBackend.job("hello.greet", Schedule.cron("0 9 * * MON-FRI", java.time.ZoneId.of("Europe/Berlin")),
                JobStatus.SCHEDULED, Optional.of(Instant.parse("2027-03-29T07:00:00Z"))));
        host.plugins.add(Map.of("id", "hello", "version", "1.0.0", "state", "started", "file", "hello.jar",
                "dependencies", List.of(), "jobs", List.of("hello.greet")));
        events = new EventHub();
        Dashboard dashboard = new Dashboard(host, clock, minutes, events,
                Dashboard.writeViewerToken(data));
        server = AdminServer.start(data, 0, new AdminApi(host), dashboard, AdminServer.Limits.DEFAULT);
        browser = new Browser(server.url());
    }

    @AfterEach
    void stop() {
        server.close();
        events.close();
    }

    private String loginUrl(String role) throws Exception {
        String token = Files.readString(data.resolve(role.equals("viewer") ? Dashboard.VIEWER_TOKEN_FILE
                : AdminServer.TOKEN_FILE)).strip();
        HttpResponse<String> r = http.send(HttpRequest.newBuilder(server.url().resolve("/ui/codes?role=" + role))
                .header("Authorization", "Bearer " + token).POST(HttpRequest.BodyPublishers.noBody()).build(),
                HttpResponse.BodyHandlers.ofString());
        assertThat(r.statusCode()).as(r.body()).isEqualTo(200);
        String url = r.body().replaceAll(".*\"url\":\"([^\"]+)\".*", "$1");
        assertThat(url).startsWith(server.url() + "/ui/login?code=");
        return url;
    }

    private void logIn(String role) throws Exception {
        HttpResponse<String> r = browser.login(loginUrl(role));
        assertThat(r.statusCode()).isEqualTo(303);
    }

    @Test
    void shouldExchangeACodeOnceForARestrictedCookieAndDropTheCodeFromTheAddress() throws Exception {
        String url = loginUrl("operator");

        HttpResponse<String> first = browser.login(url);
        HttpResponse<String> again = new Browser(server.url()).login(url);

        assertThat(first.statusCode()).isEqualTo(303);
        assertThat(first.headers().firstValue("Location")).hasValue("/ui/");
        String cookie = first.headers().firstValue("Set-Cookie").orElseThrow();
        assertThat(cookie).startsWith(Dashboard.COOKIE + "=").contains("HttpOnly", "SameSite=Strict", "Path=/ui")
                .doesNotContain(url.substring(url.indexOf("code=") + 5));
        assertThat(browser.get("/ui/").statusCode()).isEqualTo(200);
        assertThat(browser.lastPage).contains("id=\"role\"").contains("operator");
        assertThat(again.statusCode()).isEqualTo(401);
        assertThat(again.body()).contains("was used already or has expired");
        assertThat(again.headers().firstValue("Set-Cookie")).isEmpty();
    }

    @Test
    void shouldRefuseACodeOlderThanTwoMinutes() throws Exception {
        String url = loginUrl("operator");
        clock.advance(Sessions.CODE_TTL);

        HttpResponse<String> r = browser.login(url);

        assertThat(r.statusCode()).isEqualTo(401);
        assertThat(browser.cookie).isNull();
    }

    @Test
    void shouldRefuseACodeRequestWithoutTheRightToken() throws Exception {
        HttpResponse<String> none = http.send(HttpRequest.newBuilder(server.url().resolve("/ui/codes"))
                .POST(HttpRequest.BodyPublishers.noBody()).build(), HttpResponse.BodyHandlers.ofString());
        String viewerToken = Files.readString(data.resolve(Dashboard.VIEWER_TOKEN_FILE)).strip();
        HttpResponse<String> viewerAsksForOperator = http.send(HttpRequest.newBuilder(
                server.url().resolve("/ui/codes?role=operator")).header("Authorization", "Bearer " + viewerToken)
                .POST(HttpRequest.BodyPublishers.noBody()).build(), HttpResponse.BodyHandlers.ofString());

        HttpResponse<String> unknownRole = http.send(HttpRequest.newBuilder(server.url().resolve("/ui/codes?role=admin"))
                .header("Authorization", "Bearer " + Files.readString(data.resolve(AdminServer.TOKEN_FILE)).strip())
                .POST(HttpRequest.BodyPublishers.noBody()).build(), HttpResponse.BodyHandlers.ofString());

        assertThat(none.statusCode()).isEqualTo(401);
        assertThat(viewerAsksForOperator.statusCode()).isEqualTo(403);
        assertThat(viewerAsksForOperator.body()).contains("the viewer token gets viewer codes only");
        assertThat(unknownRole.statusCode()).as("an unknown role is no operator code").isEqualTo(400);
        assertThat(unknownRole.body()).contains("role must be operator or viewer");
        assertThat(Files.getPosixFilePermissions(data.resolve(Dashboard.VIEWER_TOKEN_FILE)))
                .containsExactlyInAnyOrder(PosixFilePermission.OWNER_READ, PosixFilePermission.OWNER_WRITE);
    }

    @Test
    void shouldEndASessionIdleForThirtyMinutesButKeepAnActiveOneUpToTwelveHours() throws Exception {
        logIn("operator");
        for (int i = 0; i < 24; i++) {
            clock.advance(Duration.ofMinutes(29));
            assertThat(browser.get("/ui/jobs").statusCode()).as("after %d active half hours", i + 1).isEqualTo(200);
        }
        clock.advance(Duration.ofMinutes(29)); // 12 h 25 min after login, active all along

        assertThat(browser.get("/ui/jobs").statusCode()).isEqualTo(401);

        Browser idle = new Browser(server.url());
        idle.login(loginUrl("operator"));
        clock.advance(Sessions.IDLE_TTL);
        assertThat(idle.get("/ui/").statusCode()).isEqualTo(401);
        assertThat(idle.lastPage).contains("belfry dashboard --data DIR").doesNotContain("hello.greet");
    }

    @Test
    void shouldEndTheSessionOnLogout() throws Exception {
        logIn("operator");
        browser.get("/ui/");

        HttpResponse<String> out = browser.post("/ui/logout", "csrf=" + browser.csrf());

        assertThat(out.statusCode()).isEqualTo(200);
        assertThat(out.headers().firstValue("Set-Cookie").orElseThrow()).contains("Max-Age=0");
        assertThat(browser.get("/ui/").statusCode()).isEqualTo(401);
    }

    @Test
    void shouldOfferTheActionsThatFitTheJobAsItIs() throws Exception {
        host.add(FakeBackend.job("hello.resting", Schedule.manual(), JobStatus.PAUSED, Optional.empty())
                .withPaused(true));
        host.add(FakeBackend.job("hello.stopped", Schedule.manual(), JobStatus.CANCELLED, Optional.empty()));
        logIn("operator");

        String scheduled = browser.get("/ui/jobs/hello.greet").body();
        String paused = browser.get("/ui/jobs/hello.resting").body();
        String cancelled = browser.get("/ui/jobs/hello.stopped").body();

        assertThat(scheduled).contains("id=\"action-trigger\"", "id=\"action-pause\"", "id=\"action-cancel\"")
                .doesNotContain("id=\"action-resume\"");
        assertThat(paused).contains("id=\"action-trigger\"", "id=\"action-resume\"", "id=\"action-cancel\"")
                .doesNotContain("id=\"action-pause\"");
        assertThat(cancelled).contains("id=\"action-resume\"").doesNotContain("id=\"action-trigger\"")
                .doesNotContain("id=\"action-pause\"").doesNotContain("id=\"action-cancel\"");
    }

    @Test
    void shouldAnswerOnlyToItsOwnHostName() throws Exception {
        logIn("operator");

        Browser.Raw rebound = browser.getAs("/ui/", "evil.example:" + server.url().getPort());
        Browser.Raw alias = browser.getAs("/ui/", "localhost:" + server.url().getPort());

        assertThat(rebound.status()).isEqualTo(421);
        assertThat(rebound.body()).contains("id=\"wrong-host\"").doesNotContain("host-status");
        assertThat(alias.status()).isEqualTo(200);
    }

    @Test
    void shouldShowOnlyTheNoticesAnActionCanEndWithAndConfirmOnlyWhatExists() throws Exception {
        logIn("operator");

        String done = browser.get("/ui/jobs/hello.greet?done=trigger&result=started").body();
        String forged = browser.get("/ui/jobs/hello.greet?done=trigger&result=Your+account+is+locked").body();
        String mixed = browser.get("/ui/jobs/hello.greet?done=cancel&result=started").body();

        assertThat(done).contains("id=\"notice\"").contains("Trigger: started.");
        assertThat(forged).doesNotContain("id=\"notice\"").doesNotContain("account");
        assertThat(mixed).doesNotContain("id=\"notice\"");
        assertThat(browser.get("/ui/jobs/nope.nope/confirm?action=trigger").statusCode()).isEqualTo(404);
        assertThat(browser.get("/ui/jobs/not%20a%20name/confirm?action=trigger").statusCode()).isEqualTo(404);
        assertThat(browser.get("/ui/plugins/nope/confirm").statusCode()).isEqualTo(404);
        assertThat(browser.get("/ui/plugins/hello/confirm").statusCode()).isEqualTo(200);
    }

    @Test
    void shouldRefuseAnActionWithoutOrWithAWrongCsrfTokenOrFromAnotherOrigin() throws Exception {
        logIn("operator");
        browser.get("/ui/jobs/hello.greet/confirm?action=trigger");
        String token = browser.csrf();

        HttpResponse<String> none = browser.post("/ui/jobs/hello.greet/trigger", "");
        HttpResponse<String> wrong = browser.post("/ui/jobs/hello.greet/trigger", "csrf=" + token + "x");
        HttpResponse<String> foreign = browser.post("/ui/jobs/hello.greet/trigger", "csrf=" + token,
                Optional.of("http://evil.example"));
        HttpResponse<String> noOrigin = browser.post("/ui/jobs/hello.greet/trigger", "csrf=" + token,
                Optional.empty());

        assertThat(List.of(none, wrong, foreign, noOrigin)).allSatisfy(r -> {
            assertThat(r.statusCode()).isEqualTo(403);
            assertThat(r.body()).contains("id=\"refusal\"");
        });
        assertThat(none.body()).contains("security token is missing or stale");
        assertThat(foreign.body()).contains("did not come from the dashboard");
        assertThat(host.done).isEmpty();

        HttpResponse<String> right = browser.post("/ui/jobs/hello.greet/trigger", "csrf=" + token);
        assertThat(right.statusCode()).isEqualTo(303);
        assertThat(host.done).containsExactly("trigger hello.greet");
        assertThat(browser.get(right.headers().firstValue("Location").orElseThrow()).body())
                .contains("id=\"notice\"").contains("Trigger: started.");
    }

    @Test
    void shouldNotActOnAGetRequest() throws Exception {
        logIn("operator");

        HttpResponse<String> trigger = browser.get("/ui/jobs/hello.greet/trigger");
        HttpResponse<String> reload = browser.get("/ui/plugins/hello/reload");
        HttpResponse<String> logout = browser.get("/ui/logout");

        for (HttpResponse<String> r : List.of(trigger, reload, logout)) {
            assertThat(r.statusCode()).as(r.uri().toString()).isEqualTo(405);
            assertThat(r.headers().firstValue("Allow")).hasValue("POST");
            assertThat(r.body()).contains("id=\"not-allowed\"");
        }
        assertThat(host.done).isEmpty();
        assertThat(browser.get("/ui/").statusCode()).as("still logged in").isEqualTo(200);
    }

    @Test
    void shouldNameTheParameterOfAJobsPageItCannotShow() throws Exception {
        logIn("viewer");

        Map<String, String> expected = Map.of(
                "/ui/jobs?size=0", "size=0 is not a whole number from 1 to 500",
                "/ui/jobs?size=501", "size=501 is not a whole number from 1 to 500",
                "/ui/jobs?page=-2", "page=-2 is not a whole number from 1 up",
                "/ui/jobs?type=bogus", "type=bogus is not allowed: use one of cron, periodic, once, manual",
                "/ui/jobs?status=exploded", "status=exploded is not a status: use one of",
                "/ui/jobs?sort=colour", "sort=colour is not allowed",
                "/ui/jobs?colour=red", "unknown parameter colour");

        for (var e : expected.entrySet()) {
            HttpResponse<String> r = browser.get(e.getKey());
            assertThat(r.statusCode()).as(e.getKey()).isEqualTo(400);
            assertThat(r.body()).as(e.getKey()).contains(e.getValue()).contains("id=\"refusal\"");
        }
        // What the filter form sends when nothing is chosen, and a page past the last one (the list shrank).
        assertThat(browser.get("/ui/jobs?q=&plugin=&status=&type=&sort=name&dir=").statusCode()).isEqualTo(200);
        assertThat(browser.get("/ui/jobs?page=999").body()).contains("Page 1 of 1");
        assertThat(browser.get("/ui/jobs?page=99999999999999999999").body()).contains("Page 1 of 1");
    }

    @Test
    void shouldLetAViewerSeeButNotAct() throws Exception {
        logIn("viewer");

        HttpResponse<String> page = browser.get("/ui/jobs/hello.greet");
        HttpResponse<String> act = browser.post("/ui/jobs/hello.greet/pause", "csrf=" + browser.csrf());
        HttpResponse<String> reload = browser.post("/ui/plugins/hello/reload", "csrf=" + browser.csrf());
        HttpResponse<String> confirm = browser.get("/ui/jobs/hello.greet/confirm?action=pause");

        assertThat(page.statusCode()).isEqualTo(200);
        assertThat(page.body()).contains("id=\"read-only\"").doesNotContain("id=\"action-pause\"")
                .contains("viewer (read-only)");
        assertThat(act.statusCode()).isEqualTo(403);
        assertThat(act.body()).contains("read-only");
        assertThat(reload.statusCode()).isEqualTo(403);
        assertThat(confirm.statusCode()).as("no confirmation page with a button for a viewer").isEqualTo(403);
        assertThat(confirm.body()).doesNotContain("confirm-action").contains("read-only");
        assertThat(host.done).isEmpty();
    }

    @Test
    void shouldKeepALoginsNewestStreamsAndAPlaceForOperatorsWhenViewersFillTheHub() throws Exception {
        // given: a viewer whose pages opened more streams than one login keeps
        logIn("viewer");
        List<HttpResponse<java.util.stream.Stream<String>>> mine = new java.util.ArrayList<>();
        for (int i = 0; i <= Dashboard.STREAMS_PER_SESSION; i++) {
            mine.add(http.sendAsync(HttpRequest.newBuilder(server.url().resolve("/ui/events"))
                    .header("Cookie", browser.cookie).GET().build(), HttpResponse.BodyHandlers.ofLines())
                    .get(10, java.util.concurrent.TimeUnit.SECONDS));
        }

        // then: every new one is served, and the oldest is ended
        assertThat(mine).allSatisfy(r -> assertThat(r.statusCode()).isEqualTo(200));
        assertThat(java.util.concurrent.CompletableFuture.supplyAsync(() -> mine.get(0).body().toList())
                .get(10, java.util.concurrent.TimeUnit.SECONDS)).as("the oldest stream has ended").isNotNull();

        // when: viewers' logins take every stream a viewer may
        int viewerStreams = EventHub.MAX_STREAMS - Dashboard.STREAMS_KEPT_FOR_OPERATORS;
        int statusOfOneMore = 0;
        for (int login = 0; login * Dashboard.STREAMS_PER_SESSION < viewerStreams + 1; login++) {
            Browser viewer = new Browser(server.url());
            assertThat(viewer.login(loginUrl("viewer")).statusCode()).isEqualTo(303);
            for (int i = 0; i < Dashboard.STREAMS_PER_SESSION; i++) {
                statusOfOneMore = http.sendAsync(HttpRequest.newBuilder(server.url().resolve("/ui/events"))
                        .header("Cookie", viewer.cookie).GET().build(), HttpResponse.BodyHandlers.ofLines())
                        .get(10, java.util.concurrent.TimeUnit.SECONDS).statusCode();
            }
        }

        // then: the last viewer is refused, and an operator still gets a live page
        assertThat(statusOfOneMore).isEqualTo(503);
        Browser operator = new Browser(server.url());
        assertThat(operator.login(loginUrl("operator")).statusCode()).isEqualTo(303);
        assertThat(http.sendAsync(HttpRequest.newBuilder(server.url().resolve("/ui/events"))
                .header("Cookie", operator.cookie).GET().build(), HttpResponse.BodyHandlers.ofLines())
                .get(10, java.util.concurrent.TimeUnit.SECONDS).statusCode()).isEqualTo(200);
    }

    @Test
    void shouldShowTheHostsRefusalWith409() throws Exception {
        logIn("operator");
        browser.get("/ui/jobs/hello.greet/confirm?action=resume");
        host.refusal = "job hello.greet is not paused";

        HttpResponse<String> r = browser.post("/ui/jobs/hello.greet/resume", "csrf=" + browser.csrf());

        assertThat(r.statusCode()).isEqualTo(409);
        assertThat(r.body()).contains("role=\"alert\" id=\"refusal\"")
                .contains("The host refused to resume hello.greet: job hello.greet is not paused")
                .contains("id=\"job-fields\"");
    }

    @Test
    void shouldRenderHostileTextVerbatimAndRunNothing() throws Exception {
        QName q = QName.parse("hello.greet");
        host.jobs.clear();
        host.add(FakeBackend.job("hello.greet", Schedule.manual(), JobStatus.FAILED, Optional.empty())
                .withCheckpoint(Optional.of(HOSTILE))
                .withLastOutcome(Optional.of(new dev.belfry.sidecar.RunOutcome(false, HOSTILE, Duration.ZERO))));
        host.runs.put(q, List.of(new RunResult(q, 1, Instant.parse("2027-03-27T11:00:00Z"),
                Instant.parse("2027-03-27T11:00:00Z"), Instant.parse("2027-03-27T11:00:01Z"), 1,
                Optional.of(HOSTILE))));
        host.problems.add("plugins/" + HOSTILE + ".jar: " + HOSTILE);
        host.plugins.set(0, Map.of("id", "hello", "version", HOSTILE, "state", "started", "file", HOSTILE + ".jar",
                "dependencies", List.of(HOSTILE), "jobs", List.of("hello.greet")));
        logIn("operator");

        for (String page : List.of("/ui/jobs/hello.greet", "/ui/jobs", "/ui/plugins", "/ui/graph", "/ui/")) {
            String body = browser.get(page).body();
            assertThat(body).as(page).doesNotContain("<script>alert", "<img src=x", "\u0000")
                    .doesNotContainPattern("<[^>]* on[a-z]+=");
        }
        String job = browser.get("/ui/jobs/hello.greet").body();
        assertThat(job).contains("&lt;script&gt;alert(1)&lt;/script&gt;&quot;&#39;&gt;&lt;img src=x onerror=alert(2)"
                + "&gt;&#96;&amp;amp;\uFFFD\u202e");
        assertThat(browser.get("/ui/plugins").body()).contains("&#96;&amp;amp;\uFFFD\u202e.jar");
    }

    @Test
    void shouldSendAStrictContentSecurityPolicyAndNoInlineScriptOrStyle() throws Exception {
        logIn("operator");

        for (String page : List.of("/ui/", "/ui/jobs", "/ui/jobs/hello.greet", "/ui/plugins", "/ui/graph",
                "/ui/jobs/hello.greet/confirm?action=pause")) {
            HttpResponse<String> r = browser.get(page);
            assertThat(r.statusCode()).as(page).isEqualTo(200);
            assertThat(r.headers().firstValue("Content-Security-Policy")).as(page).hasValueSatisfying(csp ->
                    assertThat(csp).contains("default-src 'self'", "script-src 'self'", "style-src 'self'",
                            "frame-ancestors 'none'").doesNotContain("unsafe"));
            assertThat(r.headers().firstValue("X-Content-Type-Options")).hasValue("nosniff");
            assertThat(r.headers().firstValue("Cache-Control")).hasValue("no-store");
            assertThat(r.headers().firstValue("Referrer-Policy")).hasValue("same-origin");
            assertThat(r.body()).as(page).doesNotContainPattern("<script(?![^>]*\\bsrc=)")
                    .doesNotContain(" style=", "javascript:").doesNotContainPattern("<[^>]* on[a-z]+=");
        }
        HttpResponse<String> js = browser.get("/ui/assets/app.js");
        assertThat(js.headers().firstValue("Content-Type").orElseThrow()).startsWith("text/javascript");
        assertThat(js.body()).contains("EventSource");
    }

    @Test
    void shouldFilterSearchSortAndPageTheJobsOnTheServer() throws Exception {
        host.jobs.clear();
        for (int i = 0; i < 120; i++) {
            String plugin = i % 2 == 0 ? "alpha" : "beta";
            host.add(FakeBackend.job(plugin + ".job" + String.format("%03d", i),
                    i % 3 == 0 ? Schedule.manual() : Schedule.every(Duration.ofMinutes(1)),
                    i % 5 == 0 ? JobStatus.FAILED : JobStatus.SCHEDULED, Optional.empty()));
        }
        logIn("viewer");

        String plugin = browser.get("/ui/jobs?plugin=beta").body();
        String failedManual = browser.get("/ui/jobs?status=failed&type=manual").body();
        String search = browser.get("/ui/jobs?q=JOB11").body();
        String page2 = browser.get("/ui/jobs?plugin=alpha&page=2&size=25").body();
        String desc = browser.get("/ui/jobs?sort=name&dir=desc&size=3").body();
        String third = browser.get("/ui/jobs?page=3").body();
        String descSecond = browser.get("/ui/jobs?dir=desc&page=2").body();

        assertThat(plugin).contains("60 jobs match of 120.").contains("data-job=\"beta.job001\"")
                .doesNotContain("data-job=\"alpha.job000\"").contains("Page 1 of 2");
        // i divisible by 15: 0, 15, ..., 105
        assertThat(failedManual).contains("8 jobs match of 120.");
        assertThat(search).contains("10 jobs match").contains("data-job=\"alpha.job110\"")
                .contains("data-job=\"beta.job119\"");
        assertThat(page2).contains("Page 2 of 3").contains("data-job=\"alpha.job050\"")
                .doesNotContain("data-job=\"alpha.job048\"").contains("id=\"page-prev\"").contains("id=\"page-next\"");
        assertThat(desc.indexOf("data-job=\"beta.job119\"")).isPositive()
                .isLessThan(desc.indexOf("data-job=\"beta.job117\""));
        // By name: alpha.job000 to alpha.job118, then beta.job001 to beta.job119; 50 a page.
        assertThat(third).contains("120 jobs match of 120.").contains("Page 3 of 3")
                .contains("data-job=\"beta.job081\"").contains("data-job=\"beta.job119\"")
                .doesNotContain("data-job=\"beta.job079\"").doesNotContain("id=\"page-next\"");
        assertThat(descSecond.indexOf("data-job=\"beta.job019\"")).isPositive()
                .isLessThan(descSecond.indexOf("data-job=\"alpha.job040\""));
        assertThat(descSecond).contains("Page 2 of 3").doesNotContain("data-job=\"beta.job021\"")
                .doesNotContain("data-job=\"alpha.job038\"");
    }

    @Test
    void shouldShowTheScheduleInWordsAndTheNextFiresWithTheClockChange() throws Exception {
        logIn("viewer");

        String page = browser.get("/ui/jobs/hello.greet").body();

        assertThat(page).contains("(Europe/Berlin time)").contains("id=\"next-fires\"")
                .contains("Mon 2027-03-29 09:00:00 +02:00 Europe/Berlin")
                .contains("Next clock change in Europe/Berlin")
                .contains("Not known here: the job's code is not loaded on this host");
    }

    @Test
    void shouldShowNoNextFireForAPausedOrOrphanedJob() throws Exception {
        host.jobs.clear();
        Optional<Instant> kept = Optional.of(Instant.parse("2027-03-27T12:05:00Z"));
        host.add(FakeBackend.job("hello.paused", Schedule.every(Duration.ofMinutes(5)), JobStatus.PAUSED, kept)
                .withPaused(true));
        host.add(FakeBackend.job("hello.gone", Schedule.every(Duration.ofMinutes(5)), JobStatus.ORPHANED, kept));
        host.add(FakeBackend.job("hello.due", Schedule.every(Duration.ofMinutes(5)), JobStatus.SCHEDULED, kept));
        logIn("viewer");

        String list = browser.get("/ui/jobs").body();
        String paused = browser.get("/ui/jobs/hello.paused").body();

        String none = "<td data-field=\"next\" data-label=\"Next fire\"><span class=\"muted\">none</span>";
        assertThat(row(list, "hello.paused")).contains(none);
        assertThat(row(list, "hello.gone")).contains(none);
        assertThat(row(list, "hello.due")).contains("datetime=\"2027-03-27T12:05:00Z\"");
        assertThat(paused).contains("id=\"fires-none\">None: the job is paused.");
        // hello.due every 5 minutes from 12:05 to 12:55; the paused and the orphaned job not at all
        String overview = browser.get("/ui/").body();
        assertThat(overview).contains("All 11 fires within the hour:").doesNotContain("data-job-link=\"hello.paused\"")
                .doesNotContain("data-job-link=\"hello.gone\"");
    }

    @Test
    void shouldListTheNextHoursFiresInOrderWithAJobThatFiresOftenListedOften() throws Exception {
        host.jobs.clear();
        host.add(FakeBackend.job("hello.often", Schedule.every(Duration.ofMinutes(5)), JobStatus.SCHEDULED,
                Optional.of(Instant.parse("2027-03-27T12:05:00Z"))));
        host.add(FakeBackend.job("hello.later", Schedule.every(Duration.ofHours(2)), JobStatus.SCHEDULED,
                Optional.of(Instant.parse("2027-03-27T12:12:00Z"))));
        host.add(FakeBackend.job("hello.tomorrow", Schedule.every(Duration.ofDays(1)), JobStatus.SCHEDULED,
                Optional.of(Instant.parse("2027-03-28T12:00:00Z"))));
        logIn("viewer");

        String overview = browser.get("/ui/").body();
        String due = overview.substring(overview.indexOf("<table id=\"due\""), overview.indexOf("</table>",
                overview.indexOf("<table id=\"due\"")));

        // 12:05 to 12:55 for the job every 5 minutes (13:00 is an hour away, not within it), 12:12 once.
        assertThat(due.split("<tr>").length - 2).as("rows").isEqualTo(12);
        assertThat(due.indexOf("2027-03-27T12:10:00Z")).isLessThan(due.indexOf("2027-03-27T12:12:00Z"))
                .isGreaterThan(due.indexOf("2027-03-27T12:05:00Z"));
        assertThat(due).contains("2027-03-27T12:55:00Z").doesNotContain("2027-03-27T13:00:00Z")
                .doesNotContain("hello.tomorrow");
        assertThat(overview).contains("All 12 fires within the hour:").contains("data-testid=\"chart-lag-summary\"");
    }

    @Test
    void shouldListTheFirstFiresOfTheHourInOrderAmongManyJobs() throws Exception {
        host.jobs.clear();
        Instant now = Instant.parse("2027-03-27T12:00:00Z");
        List<String> expected = new ArrayList<>();
        // 40 jobs firing once each at 12:01 ... 12:40, added out of order, and one every 7 minutes from 12:03.
        for (int minute : new java.util.Random(7).ints(1, 41).distinct().limit(40).toArray()) {
            host.add(FakeBackend.job(String.format("hello.at%02d", minute), Schedule.every(Duration.ofHours(2)),
                    JobStatus.SCHEDULED, Optional.of(now.plus(Duration.ofMinutes(minute)))));
        }
        host.add(FakeBackend.job("hello.often", Schedule.every(Duration.ofMinutes(7)), JobStatus.SCHEDULED,
                Optional.of(now.plus(Duration.ofMinutes(3)))));
        for (int minute = 1; expected.size() < OverviewPage.DUE_SHOWN; minute++) {
            if ((minute - 3) % 7 == 0) {
                expected.add("hello.often"); // before the job of the same minute: ties may go either way
            }
            if (expected.size() < OverviewPage.DUE_SHOWN) {
                expected.add(String.format("hello.at%02d", minute));
            }
        }
        logIn("viewer");

        String overview = browser.get("/ui/").body();
        String due = overview.substring(overview.indexOf("<table id=\"due\""), overview.indexOf("</table>",
                overview.indexOf("<table id=\"due\"")));
        List<String> listed = java.util.regex.Pattern.compile("data-job-link=\"([^\"]+)\"").matcher(due).results()
                .map(m -> m.group(1)).toList();

        assertThat(listed).containsExactlyInAnyOrderElementsOf(expected);
        assertThat(listed.stream().filter(j -> !j.equals("hello.often")).toList())
                .isEqualTo(expected.stream().filter(j -> !j.equals("hello.often")).toList());
        assertThat(overview).contains("The first 20 fires within the hour:");
    }

    private static String row(String page, String qname) {
        int at = page.indexOf("<tr data-job=\"" + qname + "\"");
        return page.substring(at, page.indexOf("</tr>", at));
    }

    @Test
    void shouldSayWhatStopsWithAPluginOnTheGraph() throws Exception {
        host.plugins.add(Map.of("id", "reports", "version", "2.0.0", "state", "started", "file", "reports.jar",
                "dependencies", List.of("hello@>=1.0.0"), "jobs", List.of("reports.daily", "reports.weekly")));
        logIn("viewer");

        String graph = browser.get("/ui/graph").body();

        assertThat(graph).contains("<li data-plugin=\"hello\"><strong>hello</strong>: 3 jobs, and the plugins that"
                + " depend on it: reports").contains("<li data-plugin=\"reports\"><strong>reports</strong>: 2 jobs (")
                .contains("reports depends on hello");
    }

    @Test
    void shouldChartTheRunsAndFailuresOfTheLastHourAndDay() throws Exception {
        Instant now = clock.instant();
        minutes.record(now.minusSeconds(30), false, Duration.ofMillis(3));
        minutes.record(now.minusSeconds(600), true, Duration.ofMillis(40));
        minutes.record(now.minus(Duration.ofHours(5)), false, Duration.ZERO);
        logIn("viewer");

        String overview = browser.get("/ui/").body();

        assertThat(overview).contains("data-testid=\"chart-hour-summary\">Runs in the last hour: 2 runs, 1 failed<")
                .contains("data-testid=\"chart-day-summary\">Runs in the last 24 hours: 3 runs, 1 failed<")
                .contains("aria-label=\"Fire lag p99 per minute, highest 50 ms\"");
    }

    @Test
    void shouldRefuseAnActionWithoutASession() throws Exception {
        HttpResponse<String> r = browser.post("/ui/jobs/hello.greet/trigger", "csrf=anything");

        assertThat(r.statusCode()).isEqualTo(401);
        assertThat(host.done).isEmpty();
    }

    @Test
    void shouldEndAnEventStreamWhenItsSessionLogsOut() throws Exception {
        logIn("operator");
        browser.get("/ui/");
        String token = browser.csrf();
        List<String> lines = new java.util.concurrent.CopyOnWriteArrayList<>();
        java.util.concurrent.atomic.AtomicBoolean ended = new java.util.concurrent.atomic.AtomicBoolean();
        HttpResponse<java.util.stream.Stream<String>> stream = http.send(HttpRequest.newBuilder(
                server.url().resolve("/ui/events")).header("Cookie", browser.cookie).GET().build(),
                HttpResponse.BodyHandlers.ofLines());
        Thread reader = new Thread(() -> {
            try {
                stream.body().forEach(lines::add);
            } catch (java.io.UncheckedIOException e) {
                // cut: ended all the same
            }
            ended.set(true);
        }, "test-event-reader");
        reader.setDaemon(true);
        reader.start();
        events.publish("job", "hello.greet", "running");
        dev.belfry.host.testing.Eventually.await(Duration.ofSeconds(10), () -> lines.contains("event: job"),
                () -> "the change before logout, got " + lines);

        browser.post("/ui/logout", "csrf=" + token);
        events.publish("job", "hello.greet", "scheduled");

        dev.belfry.host.testing.Eventually.await(Duration.ofSeconds(10), ended::get,
                () -> "the stream to end after logout, got " + lines);
        assertThat(lines).doesNotContain("data: {\"job\":\"hello.greet\",\"detail\":\"scheduled\"}");
    }

    @Test
    void shouldReloadAPluginAfterConfirmationAndShowWhyItDidNotStartAgain() throws Exception {
        logIn("operator");
        assertThat(browser.get("/ui/plugins").body()).contains("id=\"reload-hello\"");
        browser.get("/ui/plugins/hello/confirm");
        String token = browser.csrf();

        HttpResponse<String> ok = browser.post("/ui/plugins/hello/reload", "csrf=" + token);
        host.refusal = "hello.jar: plugin hello: requires host version >=2.0.0, but this host is 1.0.0";
        HttpResponse<String> refused = browser.post("/ui/plugins/hello/reload", "csrf=" + token);

        assertThat(ok.statusCode()).isEqualTo(303);
        assertThat(ok.headers().firstValue("Location")).hasValue("/ui/plugins");
        assertThat(refused.statusCode()).isEqualTo(409);
        assertThat(refused.body()).contains("id=\"refusal\"").contains("Plugin hello was stopped and did not start"
                + " again: hello.jar: plugin hello: requires host version &gt;=2.0.0, but this host is 1.0.0");
        assertThat(host.done).containsExactly("reload hello", "reload hello");
    }
}

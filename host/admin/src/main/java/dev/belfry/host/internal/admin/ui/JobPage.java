package dev.belfry.host.internal.admin.ui;

import static dev.belfry.host.internal.admin.ui.Html.text;
import static dev.belfry.host.internal.admin.ui.Html.url;

import dev.belfry.api.JobSpec;
import dev.belfry.api.RetryPolicy;
import dev.belfry.api.schedule.PeriodicMode;
import dev.belfry.api.schedule.Schedule;
import dev.belfry.host.internal.Views;
import dev.belfry.host.internal.cron.CronCompiler;
import dev.belfry.host.internal.engine.JobSnapshot;
import dev.belfry.host.internal.engine.NextFire;
import dev.belfry.host.internal.engine.RunResult;
import dev.belfry.host.internal.engine.Schedules;
import dev.belfry.sidecar.JobRecord;
import dev.belfry.sidecar.JobStatus;
import java.time.Duration;
import java.time.Instant;
import java.time.ZoneId;
import java.time.ZoneOffset;
import java.time.format.DateTimeFormatter;
import java.time.zone.ZoneOffsetTransition;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;

/** One job: its schedule in words and next fires, state, checkpoint, running runs, run history and actions. */
final class JobPage {
    /** How many coming fires the page lists. */
    static final int NEXT_FIRES = 10;
    /** The actions, in the order the page offers them. */
    static final List<String> ACTIONS = List.of("trigger", "pause", "resume", "cancel");
    private static final DateTimeFormatter LOCAL = DateTimeFormatter.ofPattern("EEE yyyy-MM-dd HH:mm:ss xxx");

    private JobPage() {
    }

    static String scheduleText(JobRecord r) {
        return Schedules.describe(r.schedule());
    }

    /**
     * @param job     the job
     * @param runs    its last runs, newest first
     * @param role    what the viewer may do
     * @param now     the present
     * @param notice  an outcome to show first (an action done or refused), HTML
     * @return the page's main content
     */
    static String render(JobSnapshot job, List<RunResult> runs, Role role, Instant now, String notice) {
        JobRecord r = job.record();
        String qname = r.qname().toString();
        StringBuilder b = new StringBuilder(16 * 1024).append(notice);
        b.append("<div id=\"job-live\" data-live data-job=\"").append(text(qname)).append("\">");
        b.append("<dl class=\"fields\" id=\"job-fields\">");
        term(b, "Plugin", "plugin", text(r.pluginId()));
        boolean saysPaused = r.status().jsonName().equals("paused");
        term(b, "Status", "status", Fields.status(r.status().jsonName())
                + (r.paused() && !saysPaused ? " (paused)" : ""));
        term(b, "Schedule", "schedule", "<code>" + text(scheduleText(r)) + "</code>");
        term(b, "In words", "schedule-words", text(words(r.schedule())));
        term(b, "Next fire", "next", Fields.time(Views.firesNextAt(r)));
        job.retryAt().ifPresent(at -> term(b, "Retry planned", "retry", Fields.time(at)));
        term(b, "Last outcome", "outcome", JobsPage.outcome(r));
        term(b, "Failure streak", "streak", Long.toString(r.consecutiveFailures()));
        term(b, "Runs", "runs", r.runCount() + " (" + r.failureCount() + " failed)");
        term(b, "Declared by", "dynamic", r.dynamic() ? "plugin code at run time" : "the plugin's descriptor");
        b.append("</dl>");

        b.append("<section aria-labelledby=\"h-running\"><h2 id=\"h-running\">Running now</h2>");
        if (job.running().isEmpty()) {
            b.append("<p id=\"running-none\">No run is executing.</p>");
        }
        for (JobSnapshot.Running run : job.running()) {
            int percent = Fields.percent(run.progress());
            b.append("<div class=\"running\" data-run=\"").append(run.id()).append("\"><label for=\"progress-")
                    .append(run.id()).append("\">Run ").append(run.id()).append(", attempt ").append(run.attempt())
                    .append(", started ").append(Fields.time(run.firedAt())).append("</label> <progress id=\"progress-")
                    .append(run.id()).append("\" max=\"100\" value=\"").append(percent).append("\">").append(percent)
                    .append("%</progress> <span data-field=\"percent\">").append(percent)
                    .append("%</span> <span class=\"muted\" data-field=\"message\">")
                    .append(text(run.message())).append("</span></div>");
        }
        b.append("</section>");

        b.append("<section aria-labelledby=\"h-policies\"><h2 id=\"h-policies\">Policies</h2>")
                .append(policies(job.spec())).append("</section>");

        b.append("<section aria-labelledby=\"h-fires\"><h2 id=\"h-fires\">Next fires</h2>").append(fires(r, now))
                .append("</section>");

        b.append("<section aria-labelledby=\"h-history\"><h2 id=\"h-history\">Run history</h2>");
        if (runs.isEmpty()) {
            b.append("<p id=\"runs-none\">No run has ended yet.</p>");
        } else {
            b.append("<ol class=\"timeline\" id=\"runs\">");
            for (RunResult run : runs) {
                Duration lag = Duration.between(run.scheduledFor(), run.firedAt());
                Duration took = Duration.between(run.firedAt(), run.finishedAt());
                String kind = run.kind().name().toLowerCase(java.util.Locale.ROOT).replace('_', ' ');
                b.append("<li class=\"run run-").append(run.kind() == RunResult.Kind.SUCCEEDED ? "ok" : "bad")
                        .append("\" data-run=\"").append(run.runId()).append("\"><span class=\"outcome\">")
                        .append(text(kind)).append("</span> attempt ").append(run.attempt())
                        .append("<br>scheduled ").append(Fields.time(run.scheduledFor())).append(", started ")
                        .append(Fields.time(run.firedAt())).append(" (lag ").append(millis(lag))
                        .append("), finished ").append(Fields.time(run.finishedAt())).append(" after ")
                        .append(millis(took));
                run.error().ifPresent(e -> b.append("<br><span class=\"error\">").append(text(e)).append("</span>"));
                b.append("</li>");
            }
            b.append("</ol>");
        }
        b.append("</section>");

        b.append("<section aria-labelledby=\"h-checkpoint\"><h2 id=\"h-checkpoint\">Checkpoint</h2>");
        b.append(r.checkpoint().map(c -> "<pre id=\"checkpoint\">" + text(c) + "</pre>")
                .orElse("<p id=\"checkpoint\" class=\"muted\">none</p>"));
        b.append("</section></div>");

        b.append("<section aria-labelledby=\"h-actions\"><h2 id=\"h-actions\">Actions</h2>");
        if (role == Role.OPERATOR) {
            b.append("<ul class=\"actions\">");
            for (String action : offered(r)) {
                b.append("<li><a class=\"button\" id=\"action-").append(action).append("\" href=\"/ui/jobs/")
                        .append(url(qname)).append("/confirm?action=").append(action).append("\">")
                        .append(label(action))
                        .append("…</a></li>");
            }
            b.append("</ul>");
        } else {
            b.append("<p id=\"read-only\">You are logged in as a viewer: actions need an operator login.</p>");
        }
        return b.append("</section>").toString();
    }

    /**
     * The actions that make sense for the job as it is: a cancelled job can only be enabled again (resume), a paused
     * one resumed, not paused again, any other paused. The host decides all the same (409 with its reason).
     */
    static List<String> offered(JobRecord r) {
        if (r.status() == JobStatus.CANCELLED) {
            return List.of("resume");
        }
        return r.paused() ? List.of("trigger", "resume", "cancel") : List.of("trigger", "pause", "cancel");
    }

    private static String policies(Optional<JobSpec> spec) {
        if (spec.isEmpty()) {
            return "<p id=\"policies\" class=\"muted\">Not known here: the job's code is not loaded on this host"
                    + " (its plugin is gone or not started yet, or in cluster mode another host runs it).</p>";
        }
        JobSpec s = spec.get();
        RetryPolicy retry = s.retry();
        StringBuilder b = new StringBuilder("<dl class=\"fields\" id=\"policies\">");
        term(b, "Due while running", "overlap", switch (s.overlap()) {
            case SKIP -> "the fire is skipped";
            case QUEUE_ONE -> "one fire waits for the run to end";
            case ALLOW -> "another run starts alongside";
        });
        term(b, "Timeout", "timeout", s.timeout().map(t -> text(t.toString().substring(2).toLowerCase(
                java.util.Locale.ROOT))).orElse("none"));
        term(b, "Retries", "retry", retry.maxAttempts() <= 1 ? "none" : (retry.maxAttempts() - 1)
                + " more attempt(s), first after " + text(retry.initialBackoff().toString().substring(2)
                .toLowerCase(java.util.Locale.ROOT)) + ", times " + retry.multiplier() + ", at most "
                + text(retry.maxBackoff().toString().substring(2).toLowerCase(java.util.Locale.ROOT)) + " apart");
        term(b, "Missed fires", "misfire", text(Schedules.describe(s.misfire())));
        term(b, "Start on disk before the run", "durable-start", s.durableStart() ? "yes" : "no");
        return b.append("</dl>").toString();
    }

    static String label(String action) {
        return Character.toUpperCase(action.charAt(0)) + action.substring(1);
    }

    /**
     * @param qname  the job
     * @param action the action asked for
     * @param session the session, for its CSRF token
     * @return the confirmation step: a form that posts the action, and a way back
     */
    static String confirm(String qname, String action, Sessions.Session session) {
        return "<form method=\"post\" action=\"/ui/jobs/" + url(qname) + "/" + action + "\" id=\"confirm-form\">"
                + Layout.csrf(session) + "<p id=\"confirm-question\">" + label(action) + " job <strong>" + text(qname)
                + "</strong>?</p><button type=\"submit\" id=\"confirm-action\" data-testid=\"confirm-action\">"
                + label(action) + "</button> <a href=\"/ui/jobs/" + url(qname)
                + "\" id=\"confirm-cancel\">Back without doing it</a></form>";
    }

    private static void term(StringBuilder b, String label, String field, String html) {
        b.append("<dt>").append(label).append("</dt><dd data-field=\"").append(field).append("\">").append(html)
                .append("</dd>");
    }

    private static String millis(Duration d) {
        return d.toMillis() + " ms";
    }

    /** The schedule in words, as {@code belfry cron explain} says it for a cron expression. */
    static String words(Schedule s) {
        if (s instanceof Schedule.Cron c) {
            return CronCompiler.describe(c.expression()) + " (" + zoneName(c.zone()) + " time)";
        }
        if (s instanceof Schedule.Periodic p) {
            return "every " + p.every().toString().substring(2).toLowerCase(java.util.Locale.ROOT)
                    + (p.mode() == PeriodicMode.FIXED_DELAY ? ", counted from the end of the previous run"
                    : ", on a fixed grid");
        }
        if (s instanceof Schedule.Once o) {
            return "once, at " + o.at();
        }
        if (s instanceof Schedule.Manual) {
            return "only when triggered";
        }
        throw new IllegalStateException("unknown schedule kind: " + s.getClass().getName());
    }

    private static String zoneName(ZoneId zone) {
        return zone.equals(ZoneOffset.UTC) ? "UTC" : zone.getId();
    }

    /** The next fires with their wall time in the schedule's zone, the offset changes between them called out. */
    private static String fires(JobRecord r, Instant now) {
        Optional<Instant> first = Views.firesNextAt(r);
        if (first.isEmpty()) {
            return "<p id=\"fires-none\">None: the job is " + (r.paused() ? "paused"
                    : r.schedule() instanceof Schedule.Manual ? "fired only by a trigger" : "not due to fire ("
                    + text(r.status().jsonName()) + ")") + ".</p>";
        }
        ZoneId zone = r.schedule() instanceof Schedule.Cron c ? c.zone() : ZoneOffset.UTC;
        boolean delay = r.schedule() instanceof Schedule.Periodic p && p.mode() == PeriodicMode.FIXED_DELAY;
        List<Instant> fires = new ArrayList<>();
        Optional<Instant> next = first;
        while (next.isPresent() && fires.size() < (delay ? 1 : NEXT_FIRES)) {
            fires.add(next.get());
            next = NextFire.nextFire(r.schedule(), next.get());
        }
        StringBuilder b = new StringBuilder("<ol id=\"next-fires\" class=\"fires\">");
        ZoneOffset previous = null;
        for (Instant at : fires) {
            ZoneOffset offset = zone.getRules().getOffset(at);
            b.append("<li>").append(Fields.time(at)).append(" <span class=\"local\">")
                    .append(text(LOCAL.format(at.atZone(zone)))).append(' ').append(text(zoneName(zone)))
                    .append("</span>");
            if (previous != null && !previous.equals(offset)) {
                b.append(" <span class=\"dst\" data-testid=\"dst-note\">clocks changed from ").append(previous)
                        .append(" to ").append(offset).append(" before this fire</span>");
            }
            previous = offset;
            b.append("</li>");
        }
        b.append("</ol>");
        if (delay) {
            b.append("<p>Later fires depend on when each run ends.</p>");
        }
        if (!zone.getRules().isFixedOffset()) {
            ZoneOffsetTransition t = zone.getRules().nextTransition(now);
            if (t != null) {
                b.append("<p id=\"dst-next\">Next clock change in ").append(text(zone.getId())).append(": ")
                        .append(Fields.time(t.getInstant())).append(" (").append(t.getOffsetBefore()).append(" to ")
                        .append(t.getOffsetAfter()).append(t.isGap() ? ", a gap" : ", an overlap").append(").</p>");
            }
            b.append("<p class=\"muted\">A fixed time in a spring-forward gap fires once, at the jump; a time that"
                    + " occurs twice in a fall-back overlap fires on its first pass only; wildcard fields follow the"
                    + " wall clock (docs/cron.md).</p>");
        }
        return b.toString();
    }
}

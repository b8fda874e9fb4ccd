package dev.belfry.host.internal.admin.ui;

import dev.belfry.api.QName;
import dev.belfry.api.schedule.Schedule;
import dev.belfry.host.internal.Views;
import dev.belfry.host.internal.engine.JobSnapshot;
import dev.belfry.sidecar.JobRecord;
import dev.belfry.sidecar.JobStatus;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.Collections;
import java.util.Comparator;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Optional;
import java.util.function.Function;
import java.util.function.Predicate;
import java.util.stream.Collectors;

/**
 * The jobs page's filter, search, sort and paging, done on the server over the host's job list: one pass to
 * filter, a sort of what is left, one page cut out.
 *
 * @param plugin a plugin id, or empty for all
 * @param status a status's JSON name, or empty for all
 * @param type   {@code cron}, {@code periodic}, {@code once} or {@code manual}, or empty for all
 * @param search text the name must contain, ignoring case, or empty
 * @param sort   {@code name}, {@code plugin}, {@code status}, {@code next} or {@code failures}
 * @param desc   whether the order is reversed
 * @param page   the page, from 1
 * @param size   jobs per page
 */
public record JobsQuery(String plugin, String status, String type, String search, String sort, boolean desc,
                        int page, int size) {
    /** Jobs on a page unless the request asks for another number. */
    public static final int PAGE_SIZE = 50;
    /** The largest page a request may ask for. */
    public static final int MAX_PAGE_SIZE = 500;
    static final List<String> TYPES = List.of("cron", "periodic", "once", "manual");
    static final List<String> SORTS = List.of("name", "plugin", "status", "next", "failures");
    private static final List<String> PARAMETERS = List.of("q", "plugin", "status", "type", "sort", "dir", "page",
            "size");

    /**
     * The jobs of one page.
     *
     * @param rows    the page's jobs
     * @param matched how many jobs match the filter
     * @param page    the page shown (clamped to the last one)
     * @param pages   how many pages the matches fill
     */
    public record Result(List<JobSnapshot> rows, int matched, int page, int pages) {
    }

    /**
     * @param query the request's query parameters; an empty value means the default
     * @return the query
     * @throws IllegalArgumentException naming the parameter, for an unknown parameter or a value out of range
     */
    public static JobsQuery from(Map<String, String> query) {
        for (String key : query.keySet()) {
            if (!PARAMETERS.contains(key)) {
                throw new IllegalArgumentException("unknown parameter " + key + ": the jobs page takes "
                        + String.join(", ", PARAMETERS));
            }
        }
        String status = value(query, "status", "");
        if (!status.isEmpty() && Arrays.stream(JobStatus.values()).noneMatch(s -> s.jsonName().equals(status))) {
            throw new IllegalArgumentException("status=" + status + " is not a status: use one of "
                    + Arrays.stream(JobStatus.values()).map(JobStatus::jsonName).collect(Collectors.joining(", ")));
        }
        return new JobsQuery(value(query, "plugin", ""), status, oneOf(query, "type", TYPES, ""),
                value(query, "q", ""), oneOf(query, "sort", SORTS, "name"),
                oneOf(query, "dir", List.of("asc", "desc"), "asc").equals("desc"),
                number(query, "page", 1, Integer.MAX_VALUE, 1), number(query, "size", 1, MAX_PAGE_SIZE, PAGE_SIZE));
    }

    private static String value(Map<String, String> query, String key, String otherwise) {
        String value = query.getOrDefault(key, "").strip();
        return value.isEmpty() ? otherwise : value;
    }

    private static String oneOf(Map<String, String> query, String key, List<String> allowed, String otherwise) {
        String value = value(query, key, "");
        if (value.isEmpty()) {
            return otherwise;
        }
        if (!allowed.contains(value)) {
            throw new IllegalArgumentException(key + "=" + value + " is not allowed: use one of "
                    + String.join(", ", allowed));
        }
        return value;
    }

    private static int number(Map<String, String> query, String key, int min, int max, int otherwise) {
        String text = value(query, key, "");
        if (text.isEmpty()) {
            return otherwise;
        }
        // A whole number too long for an int is still a whole number: a page past the last shows the last.
        String digits = text.replaceFirst("^0+(?=\\d)", "");
        int value = digits.matches("\\d{1,9}") ? Integer.parseInt(digits) : digits.matches("\\d+") ? Integer.MAX_VALUE
                : -1;
        if (value < min || value > max) {
            throw new IllegalArgumentException(key + "=" + text + " is not a whole number from " + min
                    + (max == Integer.MAX_VALUE ? " up" : " to " + max));
        }
        return value;
    }

    /**
     * @param jobs every job
     * @return the page this query asks for
     */
    public Result apply(List<JobSnapshot> jobs) {
        Predicate<JobRecord> keep = r -> true;
        if (!plugin.isEmpty()) {
            keep = keep.and(r -> r.pluginId().equals(plugin));
        }
        if (!status.isEmpty()) {
            keep = keep.and(r -> r.status().jsonName().equals(status));
        }
        if (!type.isEmpty()) {
            keep = keep.and(r -> type(r.schedule()).equals(type));
        }
        if (!search.isEmpty()) {
            String needle = search.toLowerCase(Locale.ROOT);
            keep = keep.and(r -> r.qname().toString().toLowerCase(Locale.ROOT).contains(needle));
        }
        Predicate<JobRecord> filter = keep;
        List<JobSnapshot> matched = jobs.stream().filter(j -> filter.test(j.record())).sorted(order()).toList();
        Window w = window(matched.size());
        return new Result(matched.subList(w.from(), w.to()), matched.size(), w.shown(), w.pages());
    }

    /** @return whether this query lists every job by name, which {@link #page} serves without reading every job */
    public boolean byNameOnly() {
        return plugin.isEmpty() && status.isEmpty() && type.isEmpty() && search.isEmpty() && sort.equals("name");
    }

    /**
     * The page of a query {@link #byNameOnly() by name only}, cut from the names and only its own jobs read.
     *
     * @param names every job's name, in order
     * @param read  reads the jobs of a page's names
     * @return the page this query asks for
     */
    public Result page(List<QName> names, Function<List<QName>, List<JobSnapshot>> read) {
        if (!byNameOnly()) {
            throw new IllegalStateException("a filtered or sorted list needs every job: " + this);
        }
        Window w = window(names.size());
        List<QName> cut = new ArrayList<>(desc ? names.subList(names.size() - w.to(), names.size() - w.from())
                : names.subList(w.from(), w.to()));
        if (desc) {
            Collections.reverse(cut);
        }
        return new Result(read.apply(cut), names.size(), w.shown(), w.pages());
    }

    /** The page shown (clamped to the last), how many there are, and its place [from, to) among the matches. */
    private record Window(int shown, int pages, int from, int to) {
    }

    private Window window(int matched) {
        int pages = Math.max(1, (matched + size - 1) / size);
        int shown = Math.min(page, pages);
        int from = (shown - 1) * size;
        return new Window(shown, pages, from, Math.min(matched, from + size));
    }

    private Comparator<JobSnapshot> order() {
        // QName's own order, not its text: no string per comparison, and the host lists its jobs in this order
        // already, which the sort then only checks.
        Comparator<JobSnapshot> byName = Comparator.comparing(j -> j.record().qname());
        Comparator<JobSnapshot> first = switch (sort) {
            case "plugin" -> Comparator.comparing(j -> j.record().pluginId());
            case "status" -> Comparator.comparing(j -> j.record().status().jsonName());
            // Jobs that will not fire go last, whichever way the rest is ordered.
            case "next" -> Comparator.comparing(j -> Views.firesNextAt(j.record()).orElse(Instant.MAX));
            case "failures" -> Comparator.comparingInt(j -> j.record().consecutiveFailures());
            default -> byName;
        };
        Comparator<JobSnapshot> order = first == byName ? byName : first.thenComparing(byName);
        return desc ? order.reversed() : order;
    }

    /**
     * @param schedule a schedule
     * @return its kind as the filter names it
     */
    public static String type(Schedule schedule) {
        if (schedule instanceof Schedule.Cron) {
            return "cron";
        }
        if (schedule instanceof Schedule.Periodic) {
            return "periodic";
        }
        if (schedule instanceof Schedule.Once) {
            return "once";
        }
        if (schedule instanceof Schedule.Manual) {
            return "manual";
        }
        throw new IllegalStateException("unknown schedule kind: " + schedule.getClass().getName());
    }

    /** @return the query without its page, as URL parameters, for the links to other pages and orders */
    String parameters(Optional<String> sortBy, Optional<Boolean> descending, int toPage) {
        StringBuilder b = new StringBuilder();
        add(b, "plugin", plugin);
        add(b, "status", status);
        add(b, "type", type);
        add(b, "q", search);
        add(b, "sort", sortBy.orElse(sort));
        add(b, "dir", descending.orElse(desc) ? "desc" : "");
        add(b, "page", toPage == 1 ? "" : Integer.toString(toPage));
        add(b, "size", size == PAGE_SIZE ? "" : Integer.toString(size));
        return b.toString();
    }

    private static void add(StringBuilder b, String key, String value) {
        if (!value.isEmpty()) {
            b.append(b.length() == 0 ? "?" : "&").append(key).append('=').append(Html.url(value));
        }
    }
}

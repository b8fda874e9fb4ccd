package dev.belfry.host.internal.admin.ui;

import java.util.HashMap;
import java.util.Map;
import java.util.function.Supplier;

/**
 * The main part of the filtered and sorted lists, drawn once for each snapshot of every job (shared, see
 * {@link Shared}) and query: open dashboards reload on the same events, so within a second most of them ask for a
 * page another has just drawn, and drawing it over 10,000 jobs takes the cores the host fires on. A page drawn from an older snapshot is never shown:
 * the entries go as soon as a newer snapshot is asked about.
 */
final class RenderedPages {
    /** Pages kept for one snapshot at most: distinct queries within a second are few, but they come from outside. */
    private static final int MAX_PAGES = 64;

    private Object snapshot;
    private final Map<String, String> pages = new HashMap<>();

    /**
     * @param page     the page and its query, as asked
     * @param snapshot the snapshot of the jobs the page is drawn from (compared by identity)
     * @param draw     draws the page
     * @return the page, drawn now or earlier from the same snapshot
     */
    String get(String page, Object snapshot, Supplier<String> draw) {
        synchronized (this) {
            if (this.snapshot != snapshot) {
                this.snapshot = snapshot;
                pages.clear();
            }
            String drawn = pages.get(page);
            if (drawn != null) {
                return drawn;
            }
        }
        String drawn = draw.get(); // outside the lock: a slow page does not hold up the others
        synchronized (this) {
            if (this.snapshot == snapshot && pages.size() < MAX_PAGES) {
                pages.put(page, drawn);
            }
        }
        return drawn;
    }
}

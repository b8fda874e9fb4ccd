package dev.belfry.host.internal.admin.ui;

import static org.assertj.core.api.Assertions.assertThat;

import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.atomic.AtomicInteger;
import org.junit.jupiter.api.Test;

/** A list page is drawn once per snapshot of the jobs and query, and never shown from an older snapshot. */
class RenderedPagesTest {
    private final RenderedPages pages = new RenderedPages();
    private final AtomicInteger draws = new AtomicInteger();

    private String draw(String what) {
        draws.incrementAndGet();
        return what + " #" + draws.get();
    }

    @Test
    void shouldDrawAPageOncePerSnapshotAndQueryAndAgainForANewerSnapshot() {
        List<String> first = new ArrayList<>(List.of("job"));
        List<String> newer = new ArrayList<>(List.of("job")); // equal, but another snapshot

        String a = pages.get("jobs?q=x", first, () -> draw("jobs"));
        String again = pages.get("jobs?q=x", first, () -> draw("jobs"));
        String otherQuery = pages.get("jobs?q=y", first, () -> draw("jobs"));
        String fresh = pages.get("jobs?q=x", newer, () -> draw("jobs"));

        assertThat(again).isSameAs(a);
        assertThat(otherQuery).isEqualTo("jobs #2");
        assertThat(fresh).as("drawn from the newer snapshot, not kept from the older").isEqualTo("jobs #3");
        assertThat(draws).hasValue(3);
    }
}

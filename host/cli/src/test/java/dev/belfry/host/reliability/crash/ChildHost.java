package dev.belfry.host.reliability.crash;

import dev.belfry.host.internal.Seams;
import dev.belfry.host.internal.cli.BelfryCli;
import dev.belfry.host.internal.state.JournalStore;

/**
 * The main class of the kill loop's child JVM: {@code belfry run} itself, with checkpoints due every
 * {@value #CHECKPOINT_BYTES} bytes of journal when that system property is set, so kills land in checkpoints and
 * segment rolls too (the product's 64 MiB would take minutes). The property is read here only, never by the host.
 */
final class ChildHost {
    static final String CHECKPOINT_BYTES = "belfry.crash.checkpoint-bytes";

    private ChildHost() {
    }

    public static void main(String[] args) {
        Long bytes = Long.getLong(CHECKPOINT_BYTES);
        if (bytes != null) {
            JournalStore.Limits d = JournalStore.Limits.DEFAULT;
            Seams.journalLimitsForNewHosts(new JournalStore.Limits(bytes, d.checkpointAge(), d.minimumAgedBytes()));
        }
        BelfryCli.main(args);
    }
}

package dev.belfry.host.internal;

import static org.assertj.core.api.Assertions.assertThat;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.concurrent.CompletableFuture;
import org.junit.jupiter.api.Test;

/** The graph's threads run nicer than the host's, and so do the threads they create (Linux with renice only). */
class BackgroundPriorityTest {

    @Test
    void shouldLowerTheCallingThreadAndTheThreadsItCreatesButNotItsCreator() throws Exception {
        assumeTrue(Files.isDirectory(Path.of("/proc/thread-self")), "Linux only");
        int host = BackgroundPriority.nice(Path.of("/proc/thread-self").toRealPath());
        assumeTrue(host + BackgroundPriority.NICENESS <= 19, "the test JVM already runs at nice " + host);
        CompletableFuture<int[]> seen = new CompletableFuture<>();

        Thread graph = new Thread(() -> {
            try {
                boolean lowered = BackgroundPriority.lowerCurrentThread();
                int own = BackgroundPriority.nice(Path.of("/proc/thread-self").toRealPath());
                int[] child = new int[1];
                Thread made = new Thread(() -> {
                    try {
                        child[0] = BackgroundPriority.nice(Path.of("/proc/thread-self").toRealPath());
                    } catch (Exception e) {
                        child[0] = Integer.MIN_VALUE;
                    }
                });
                made.start();
                made.join();
                seen.complete(new int[] {lowered ? 1 : 0, own, child[0]});
            } catch (Exception e) {
                seen.completeExceptionally(e);
            }
        });
        graph.start();
        int[] result = seen.get();

        assumeTrue(result[0] == 1, "renice is not available here");
        assertThat(result[1]).as("the lowered thread").isEqualTo(host + BackgroundPriority.NICENESS);
        assertThat(result[2]).as("a thread it created").isEqualTo(host + BackgroundPriority.NICENESS);
        assertThat(BackgroundPriority.nice(Path.of("/proc/thread-self").toRealPath())).as("the caller").isEqualTo(host);
    }
}

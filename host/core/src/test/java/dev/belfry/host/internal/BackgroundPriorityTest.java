package dev.belfry.host.internal;

import static org.assertj.core.api.Assertions.assertThat;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Map;
import java.util.TreeMap;
import java.util.concurrent.CompletableFuture;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;

/**
 * The graph's threads run nicer than the host's, and so do the threads they create; the JIT compiler threads can be
 * lowered too (Linux with renice only).
 */
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

    @Test
    void shouldLowerTheJitCompilerThreadsAndNoOtherThread() throws Exception {
        Path tasks = Path.of("/proc/self/task");
        assumeTrue(Files.isDirectory(tasks), "Linux only");
        int host = BackgroundPriority.nice(Path.of("/proc/thread-self").toRealPath());
        assumeTrue(host + BackgroundPriority.NICENESS <= 19, "the test JVM already runs at nice " + host);
        CompletableFuture<Boolean> reniceWorks = new CompletableFuture<>();
        new Thread(() -> reniceWorks.complete(BackgroundPriority.lowerCurrentThread())).start();
        assumeTrue(reniceWorks.get(), "renice is not available here");
        Map<String, Integer> before = niceByThread(tasks);
        assumeTrue(before.keySet().stream().anyMatch(name -> name.startsWith("C2 CompilerThre")),
                "a JVM without C2 compiler threads");

        int lowered = BackgroundPriority.lowerCompilerThreads();

        Map<String, Integer> after = niceByThread(tasks);
        assertThat(lowered).isPositive();
        after.forEach((thread, nice) -> {
            boolean compiler = thread.matches("C[12] CompilerThre.*");
            if (before.containsKey(thread)) {
                assertThat(nice).as(thread).isEqualTo(before.get(thread)
                        + (compiler ? BackgroundPriority.NICENESS : 0));
            }
        });
        assertThat(after.keySet()).as("a compiler thread lowered")
                .anyMatch(t -> t.startsWith("C2 CompilerThre") && before.containsKey(t));
    }

    /** Each thread's nice value, by its name and id ("C2 CompilerThre 1234"). */
    private static Map<String, Integer> niceByThread(Path tasks) throws IOException {
        Map<String, Integer> nice = new TreeMap<>();
        try (Stream<Path> threads = Files.list(tasks)) {
            for (Path task : threads.toList()) {
                try {
                    nice.put(Files.readString(task.resolve("comm")).strip() + " " + task.getFileName(),
                            BackgroundPriority.nice(task));
                } catch (IOException e) {
                    // the thread ended meanwhile
                }
            }
        }
        return nice;
    }
}

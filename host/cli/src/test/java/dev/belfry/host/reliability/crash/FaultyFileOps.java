package dev.belfry.host.reliability.crash;

import dev.belfry.sidecar.SidecarFileOps;
import dev.belfry.sidecar.SidecarStore;
import java.io.IOException;
import java.nio.file.Path;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.atomic.AtomicLong;
import java.util.function.Function;

/**
 * The real file operations with one step of the durable write made to fail on demand, for a host started with
 * {@code HostConfig.sidecarFileOps}. It also remembers what each complete commit wrote, so a test can read the
 * first commit after a fault is lifted rather than whatever the file holds by the time it looks.
 */
final class FaultyFileOps implements SidecarFileOps {
    /** The steps of one durable write, in order. */
    enum Step { CREATE_TEMP, WRITE, FORCE, COPY_BACKUP, MOVE_BACKUP, MOVE_MAIN, FORCE_DIRECTORY }

    private final SidecarFileOps real = SidecarFileOps.nio();
    private final Map<Path, byte[]> written = new ConcurrentHashMap<>();
    private final AtomicLong injected = new AtomicLong();
    private volatile Step failing;
    private volatile Function<Path, IOException> fault;
    private volatile byte[] movedToMain;
    private volatile CompletableFuture<byte[]> nextCommit = new CompletableFuture<>();

    /**
     * Makes every call of {@code step} fail from now on.
     *
     * @param step  the step
     * @param fault the exception for the file the step works on
     */
    void failAt(Step step, Function<Path, IOException> fault) {
        this.fault = fault;
        this.failing = step;
    }

    /**
     * Lets every step succeed again.
     *
     * @return completes with the bytes of the first commit that completes (directory flushed) after this call
     */
    CompletableFuture<byte[]> heal() {
        CompletableFuture<byte[]> next = new CompletableFuture<>();
        nextCommit = next;
        failing = null;
        return next;
    }

    /** @return how many calls failed on purpose */
    long injected() {
        return injected.get();
    }

    private void maybeFail(Step step, Path file) throws IOException {
        if (failing == step) {
            injected.incrementAndGet();
            throw fault.apply(file);
        }
    }

    @Override
    public Path createTempFile(Path dir, String prefix, String suffix) throws IOException {
        maybeFail(Step.CREATE_TEMP, dir);
        return real.createTempFile(dir, prefix, suffix);
    }

    @Override
    public void write(Path file, Content content) throws IOException {
        maybeFail(Step.WRITE, file);
        byte[] bytes = content.toBytes();
        real.write(file, out -> out.write(bytes));
        written.put(file, bytes);
    }

    @Override
    public void force(Path file) throws IOException {
        maybeFail(Step.FORCE, file);
        real.force(file);
    }

    @Override
    public void copy(Path from, Path to) throws IOException {
        maybeFail(Step.COPY_BACKUP, to);
        real.copy(from, to);
    }

    @Override
    public void atomicMove(Path from, Path to) throws IOException {
        boolean toMain = to.getFileName().toString().equals(SidecarStore.FILE_NAME);
        maybeFail(toMain ? Step.MOVE_MAIN : Step.MOVE_BACKUP, to);
        real.atomicMove(from, to);
        if (toMain) {
            movedToMain = written.remove(from);
        }
    }

    @Override
    public void forceDirectory(Path dir) throws IOException {
        maybeFail(Step.FORCE_DIRECTORY, dir);
        real.forceDirectory(dir);
        byte[] committed = movedToMain;
        if (committed != null) {
            movedToMain = null;
            nextCommit.complete(committed);
        }
    }

    @Override
    public void deleteIfExists(Path file) throws IOException {
        written.remove(file);
        real.deleteIfExists(file);
    }
}

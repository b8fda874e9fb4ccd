package dev.belfry.host.reliability.crash;

import dev.belfry.sidecar.JournalSegment;
import dev.belfry.sidecar.SidecarFileOps;
import dev.belfry.sidecar.SidecarStore;
import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.channels.FileChannel;
import java.nio.file.Path;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.atomic.AtomicLong;
import java.util.function.Function;
import java.util.function.Predicate;

/**
 * The real file operations with chosen calls made to fail on demand, for a host started with
 * {@code TestAccess.sidecarFileOps}: the sidecar's durable write (a checkpoint) and the journal's segment steps.
 *
 * <p>Two kinds of fault. {@link #failAt} makes matching calls fail while it is on (a failing disk the host must
 * survive and recover from once {@link #heal()} is called). {@link #crashAt} makes the first matching call the
 * moment of a crash: that call does not happen (a write happens half), and from then on no call reaches the disk,
 * so the files are what a process killed at that step leaves behind.
 *
 * <p>It also remembers what each complete sidecar write wrote, so a test can read the first checkpoint after a fault
 * is lifted rather than whatever the file holds by the time it looks.
 */
final class FaultyFileOps implements SidecarFileOps {
    /** The file operations, one per method. */
    enum Step {
        CREATE_TEMP, WRITE, FORCE, COPY_BACKUP, MOVE_BACKUP, MOVE_MAIN, FORCE_DIRECTORY, DELETE,
        CREATE_SEGMENT, WRITE_SEGMENT, FORCE_SEGMENT, TRUNCATE
    }

    /**
     * One call.
     *
     * @param step     the operation
     * @param file     the file (or directory) it works on
     * @param thread   the calling thread's name: {@code belfry-journal-writer} appends and rolls segments,
     *                 {@code belfry-checkpoint} writes checkpoints and deletes the segments they cover
     * @param header   for a segment write or sync: whether it is the segment's header (a roll), not records
     * @param previous the step this thread called before, if any
     */
    record Call(Step step, Path file, String thread, boolean header, Step previous) {
        boolean on(String threadName) {
            return thread.equals(threadName);
        }
    }

    static final String WRITER_THREAD = "belfry-journal-writer";
    static final String CHECKPOINT_THREAD = "belfry-checkpoint";

    private final SidecarFileOps real = SidecarFileOps.nio();
    private final Map<Path, byte[]> written = new ConcurrentHashMap<>();
    private final AtomicLong injected = new AtomicLong();
    private final ThreadLocal<Step> previous = new ThreadLocal<>();
    private volatile Predicate<Call> failing;
    private volatile Function<Path, IOException> fault;
    private volatile Predicate<Call> crashing;
    private volatile boolean crashed;
    private final CompletableFuture<Call> crash = new CompletableFuture<>();
    private volatile byte[] movedToMain;
    private volatile CompletableFuture<byte[]> nextCommit = new CompletableFuture<>();

    /**
     * Makes every call of {@code step} fail from now on.
     *
     * @param step  the step
     * @param fault the exception for the file the step works on
     */
    void failAt(Step step, Function<Path, IOException> fault) {
        failWhere(c -> c.step() == step, fault);
    }

    /**
     * Makes every matching call fail from now on.
     *
     * @param which the calls to fail
     * @param fault the exception for the file the step works on
     */
    void failWhere(Predicate<Call> which, Function<Path, IOException> fault) {
        this.fault = fault;
        this.failing = which;
    }

    /**
     * Lets every call succeed again.
     *
     * @return completes with the bytes of the first sidecar write that completes (directory flushed) after this call
     */
    CompletableFuture<byte[]> heal() {
        CompletableFuture<byte[]> next = new CompletableFuture<>();
        nextCommit = next;
        failing = null;
        return next;
    }

    /**
     * Crashes at the first matching call: it and every call after it fail, and none reaches the disk. A write that
     * crashes writes the first half of its bytes (a torn write) before failing.
     *
     * @param which the call to crash at
     * @return completes with the call the crash happened at
     */
    CompletableFuture<Call> crashAt(Predicate<Call> which) {
        crashing = which;
        return crash;
    }

    /** @return how many calls failed on purpose */
    long injected() {
        return injected.get();
    }

    /**
     * @return whether to do the call; false means the crash happens in this call, after a torn write
     * @throws IOException if the call fails (a fault, or after the crash)
     */
    private boolean enter(Step step, Path file, boolean header) throws IOException {
        if (crashed) {
            throw new IOException("injected: crashed, nothing reaches the disk any more (" + step + " " + file + ")");
        }
        Call call = new Call(step, file, Thread.currentThread().getName(), header, previous.get());
        previous.set(step);
        Predicate<Call> crashWhere = crashing;
        if (crashWhere != null && crashWhere.test(call)) {
            synchronized (this) {
                if (!crashed) {
                    crashed = true;
                    crash.complete(call);
                    return false;
                }
            }
            throw new IOException("injected: crashed, nothing reaches the disk any more (" + step + " " + file + ")");
        }
        Predicate<Call> failWhere = failing;
        if (failWhere != null && failWhere.test(call)) {
            injected.incrementAndGet();
            throw fault.apply(file);
        }
        return true;
    }

    private static IOException crashedIn(Step step, Path file) {
        return new IOException("injected: crash at " + step + " " + file);
    }

    @Override
    public Path createTempFile(Path dir, String prefix, String suffix) throws IOException {
        if (!enter(Step.CREATE_TEMP, dir, false)) {
            throw crashedIn(Step.CREATE_TEMP, dir);
        }
        return real.createTempFile(dir, prefix, suffix);
    }

    @Override
    public void write(Path file, Content content) throws IOException {
        if (!enter(Step.WRITE, file, false)) {
            byte[] all = content.toBytes();
            real.write(file, out -> out.write(all, 0, all.length / 2));
            throw crashedIn(Step.WRITE, file);
        }
        byte[] bytes = content.toBytes();
        real.write(file, out -> out.write(bytes));
        written.put(file, bytes);
    }

    @Override
    public void force(Path file) throws IOException {
        if (!enter(Step.FORCE, file, false)) {
            throw crashedIn(Step.FORCE, file);
        }
        real.force(file);
    }

    @Override
    public void copy(Path from, Path to) throws IOException {
        if (!enter(Step.COPY_BACKUP, to, false)) {
            throw crashedIn(Step.COPY_BACKUP, to);
        }
        real.copy(from, to);
    }

    @Override
    public void atomicMove(Path from, Path to) throws IOException {
        boolean toMain = to.getFileName().toString().equals(SidecarStore.FILE_NAME);
        Step step = toMain ? Step.MOVE_MAIN : Step.MOVE_BACKUP;
        if (!enter(step, to, false)) {
            throw crashedIn(step, to);
        }
        real.atomicMove(from, to);
        if (toMain) {
            movedToMain = written.remove(from);
        }
    }

    @Override
    public void forceDirectory(Path dir) throws IOException {
        if (!enter(Step.FORCE_DIRECTORY, dir, false)) {
            throw crashedIn(Step.FORCE_DIRECTORY, dir);
        }
        real.forceDirectory(dir);
        byte[] committed = movedToMain;
        if (committed != null) {
            movedToMain = null;
            nextCommit.complete(committed);
        }
    }

    @Override
    public void deleteIfExists(Path file) throws IOException {
        if (!enter(Step.DELETE, file, false)) {
            throw crashedIn(Step.DELETE, file);
        }
        written.remove(file);
        real.deleteIfExists(file);
    }

    @Override
    public FileChannel createSegment(Path file) throws IOException {
        if (!enter(Step.CREATE_SEGMENT, file, false)) {
            throw crashedIn(Step.CREATE_SEGMENT, file);
        }
        return real.createSegment(file);
    }

    @Override
    public int writeSegment(FileChannel channel, Path file, ByteBuffer bytes) throws IOException {
        if (!enter(Step.WRITE_SEGMENT, file, channel.position() == 0)) {
            ByteBuffer half = bytes.duplicate();
            half.limit(half.position() + Math.max(1, half.remaining() / 2));
            real.writeSegment(channel, file, half);
            throw crashedIn(Step.WRITE_SEGMENT, file);
        }
        return real.writeSegment(channel, file, bytes);
    }

    @Override
    public void forceSegment(FileChannel channel, Path file) throws IOException {
        if (!enter(Step.FORCE_SEGMENT, file, channel.size() <= JournalSegment.HEADER_BYTES)) {
            throw crashedIn(Step.FORCE_SEGMENT, file);
        }
        real.forceSegment(channel, file);
    }

    @Override
    public void truncate(Path file, long length) throws IOException {
        if (!enter(Step.TRUNCATE, file, false)) {
            throw crashedIn(Step.TRUNCATE, file);
        }
        real.truncate(file, length);
    }
}

package dev.belfry.host.testing;

import ch.qos.logback.classic.Level;
import ch.qos.logback.classic.Logger;
import ch.qos.logback.classic.spi.ILoggingEvent;
import ch.qos.logback.classic.spi.IThrowableProxy;
import ch.qos.logback.core.Appender;
import ch.qos.logback.core.AppenderBase;
import java.util.ArrayList;
import java.util.Iterator;
import java.util.List;
import java.util.Objects;
import java.util.concurrent.ConcurrentLinkedQueue;
import java.util.function.Predicate;
import java.util.stream.Stream;
import org.junit.jupiter.api.extension.AfterEachCallback;
import org.junit.jupiter.api.extension.BeforeEachCallback;
import org.junit.jupiter.api.extension.ExtensionContext;
import org.slf4j.LoggerFactory;

/**
 * Captures what chosen loggers log while a test runs, and keeps it off the console: a test that injects a fault
 * asserts the ERROR or WARN line it expects instead of printing it into the build log, where it would look like a
 * real failure.
 *
 * <p>As a JUnit 5 extension it captures around every test of the class, so converting a test takes a field and an
 * assertion, not a change to the test's body:
 * <pre>{@code
 * @RegisterExtension
 * final LogCapture log = LogCapture.of(Engine.class);
 *
 * @Test
 * void shouldRecordFailureWhenJobThrows() {
 *     ...
 *     log.assertLogged(Level.ERROR, "failed: boom");
 * }
 * }</pre>
 * For a part of a test only, use it as a resource: {@code try (LogCapture log = LogCapture.of(X.class).start())}.
 *
 * <p>While capturing, a named logger is made non-additive (its events no longer reach the console appender on the
 * root), and capturing the root detaches the root's appenders; both are restored on {@link #close()}. Events logged
 * by background threads after the capture ends reach the console as before. If a test fails, what was captured is
 * printed to standard error so the failure keeps its context.
 */
public final class LogCapture implements BeforeEachCallback, AfterEachCallback, AutoCloseable {
    private final List<Logger> loggers;
    private final Sink sink = new Sink();
    private final List<Boolean> additivity = new ArrayList<>();
    private final List<Level> levels = new ArrayList<>();
    private final List<Appender<ILoggingEvent>> detachedFromRoot = new ArrayList<>();
    private Level level;
    private boolean capturing;

    private LogCapture(List<Logger> loggers) {
        this.loggers = loggers;
    }

    /**
     * A capture of the loggers named after these classes (and the loggers below them).
     *
     * @param classes the classes whose loggers to capture
     * @return the capture, not yet started
     */
    public static LogCapture of(Class<?>... classes) {
        return ofNames(Stream.of(classes).map(Class::getName).toArray(String[]::new));
    }

    /**
     * A capture of the loggers with these names (and the loggers below them), such as a package name.
     *
     * @param names logger names; {@code "ROOT"} is every logger
     * @return the capture, not yet started
     */
    public static LogCapture ofNames(String... names) {
        if (names.length == 0) {
            throw new IllegalArgumentException("name at least one logger to capture");
        }
        return new LogCapture(Stream.of(names).map(n -> (Logger) LoggerFactory.getLogger(n)).toList());
    }

    /**
     * A capture of every logger: the console shows nothing while it runs.
     *
     * @return the capture, not yet started
     */
    public static LogCapture all() {
        return ofNames(org.slf4j.Logger.ROOT_LOGGER_NAME);
    }

    /**
     * Also captures events below the configured level (the test configuration shows WARN and above), for a test
     * that asserts an INFO or DEBUG line; the loggers' levels are restored on {@link #close()}.
     *
     * @param captureFrom the lowest level to capture
     * @return this capture
     */
    public LogCapture atLevel(Level captureFrom) {
        if (capturing) {
            throw new IllegalStateException("set the level before the capture starts");
        }
        this.level = Objects.requireNonNull(captureFrom, "captureFrom");
        return this;
    }

    /**
     * Starts capturing; events logged before this are not kept.
     *
     * @return this capture, to close when done
     */
    public synchronized LogCapture start() {
        if (capturing) {
            return this;
        }
        sink.events.clear();
        sink.setContext(loggers.get(0).getLoggerContext());
        sink.setName("test-log-capture");
        sink.start();
        for (Logger logger : loggers) {
            additivity.add(logger.isAdditive());
            levels.add(logger.getLevel());
            if (level != null) {
                logger.setLevel(level);
            }
            if (logger.getName().equals(org.slf4j.Logger.ROOT_LOGGER_NAME)) {
                for (Iterator<Appender<ILoggingEvent>> it = logger.iteratorForAppenders(); it.hasNext(); ) {
                    detachedFromRoot.add(it.next());
                }
                detachedFromRoot.forEach(logger::detachAppender);
            } else {
                logger.setAdditive(false);
            }
            logger.addAppender(sink);
        }
        capturing = true;
        return this;
    }

    /** Stops capturing and gives the loggers back their appenders, additivity and levels; what was caught stays. */
    @Override
    public synchronized void close() {
        if (!capturing) {
            return;
        }
        for (int i = 0; i < loggers.size(); i++) {
            Logger logger = loggers.get(i);
            logger.detachAppender(sink);
            logger.setLevel(levels.get(i));
            logger.setAdditive(additivity.get(i));
            if (logger.getName().equals(org.slf4j.Logger.ROOT_LOGGER_NAME)) {
                detachedFromRoot.forEach(logger::addAppender);
            }
        }
        additivity.clear();
        levels.clear();
        detachedFromRoot.clear();
        sink.stop();
        capturing = false;
    }

    @Override
    public void beforeEach(ExtensionContext context) {
        start();
    }

    @Override
    public void afterEach(ExtensionContext context) {
        close();
        if (context.getExecutionException().isPresent()) {
            List<String> caught = lines(Level.ALL);
            if (!caught.isEmpty()) {
                System.err.println("log captured during the failed test " + context.getDisplayName() + ":");
                caught.forEach(l -> System.err.println("  " + l));
            }
        }
    }

    /**
     * The events caught so far, in the order they were logged.
     *
     * @return a snapshot of the events
     */
    public List<ILoggingEvent> events() {
        return List.copyOf(sink.events);
    }

    /**
     * The events caught at or above a level, each as one line: level, logger's simple name, message, and the class
     * and message of each exception in its cause chain.
     *
     * @param atLeast the lowest level to include
     * @return the lines, in the order they were logged
     */
    public List<String> lines(Level atLeast) {
        return sink.events.stream().filter(e -> e.getLevel().isGreaterOrEqual(atLeast)).map(LogCapture::line).toList();
    }

    /**
     * How many events were caught at exactly a level.
     *
     * @param exactly the level
     * @return the count
     */
    public long count(Level exactly) {
        return sink.events.stream().filter(e -> e.getLevel().equals(exactly)).count();
    }

    /**
     * Asserts that a line at this level contains the text (in its message or an exception's class or message).
     *
     * @param exactly  the level the line must have
     * @param fragment text the line must contain
     * @return this capture, to chain assertions
     * @throws AssertionError naming the expected line and listing what was caught
     */
    public LogCapture assertLogged(Level exactly, String fragment) {
        if (matching(exactly, fragment).isEmpty()) {
            throw new AssertionError("expected a line at " + exactly + " containing \"" + fragment + "\"; caught "
                    + describeCaught());
        }
        return this;
    }

    /**
     * Asserts that no line at this level contains the text.
     *
     * @param exactly  the level
     * @param fragment text no such line may contain ("" for any line at all)
     * @return this capture, to chain assertions
     * @throws AssertionError listing the offending lines
     */
    public LogCapture assertNotLogged(Level exactly, String fragment) {
        List<String> found = matching(exactly, fragment);
        if (!found.isEmpty()) {
            throw new AssertionError("expected no line at " + exactly + " containing \"" + fragment + "\"; found "
                    + found);
        }
        return this;
    }

    /**
     * The messages one class logged at or above a level, each as "LEVEL message", followed by " | class: message" for
     * each exception in its cause chain: for tests that assert exact lines of one source among several captured.
     *
     * @param from    the class whose logger's events to keep
     * @param atLeast the lowest level to include
     * @return the messages, in the order they were logged
     */
    public List<String> messages(Class<?> from, Level atLeast) {
        return sink.events.stream().filter(e -> e.getLoggerName().equals(from.getName()))
                .filter(e -> e.getLevel().isGreaterOrEqual(atLeast)).map(e -> {
                    StringBuilder b = new StringBuilder(e.getLevel().toString()).append(' ')
                            .append(e.getFormattedMessage());
                    for (IThrowableProxy t = e.getThrowableProxy(); t != null; t = t.getCause()) {
                        b.append(" | ").append(t.getClassName()).append(": ").append(t.getMessage());
                    }
                    return b.toString();
                }).toList();
    }

    /**
     * The caught lines at a level that contain the text.
     *
     * @param exactly  the level
     * @param fragment the text
     * @return the lines, as {@link #lines(Level)} writes them
     */
    public List<String> matching(Level exactly, String fragment) {
        Predicate<ILoggingEvent> atLevel = e -> e.getLevel().equals(exactly);
        return sink.events.stream().filter(atLevel).map(LogCapture::line).filter(l -> l.contains(fragment)).toList();
    }

    private String describeCaught() {
        List<String> all = lines(Level.ALL);
        return all.isEmpty() ? "nothing" : all.size() + " line(s):\n  " + String.join("\n  ", all);
    }

    private static String line(ILoggingEvent e) {
        String logger = e.getLoggerName();
        StringBuilder b = new StringBuilder(e.getLevel().toString()).append(' ')
                .append(logger.substring(logger.lastIndexOf('.') + 1)).append(" - ").append(e.getFormattedMessage());
        for (IThrowableProxy t = e.getThrowableProxy(); t != null; t = t.getCause()) {
            b.append(" | ").append(t.getClassName()).append(": ").append(t.getMessage());
        }
        return b.toString();
    }

    /** Keeps events from any thread; the queue can be read while workers still log. */
    private static final class Sink extends AppenderBase<ILoggingEvent> {
        final ConcurrentLinkedQueue<ILoggingEvent> events = new ConcurrentLinkedQueue<>();

        @Override
        protected void append(ILoggingEvent event) {
            event.prepareForDeferredProcessing();
            events.add(event);
        }
    }
}

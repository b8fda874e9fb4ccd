package dev.belfry.host.internal.graph;

import ch.qos.logback.classic.Level;
import ch.qos.logback.classic.Logger;
import ch.qos.logback.classic.spi.ILoggingEvent;
import ch.qos.logback.core.read.ListAppender;
import java.util.List;
import org.slf4j.LoggerFactory;

/**
 * Takes the lines of one logger while open, instead of printing them: for tests that cause warnings on purpose and
 * assert them.
 */
final class LogCapture implements AutoCloseable {
    private final Logger logger;
    private final ListAppender<ILoggingEvent> appender = new ListAppender<>();
    private final boolean additive;

    private LogCapture(Class<?> of) {
        logger = (Logger) LoggerFactory.getLogger(of);
        additive = logger.isAdditive();
        appender.setContext(logger.getLoggerContext());
        appender.start();
        logger.addAppender(appender);
        logger.setAdditive(false);
    }

    /** @return a capture of the lines {@code of} logs from now until {@link #close()} */
    static LogCapture of(Class<?> of) {
        return new LogCapture(of);
    }

    /** @return the lines at {@code level} or above, as "LEVEL message" */
    List<String> lines(Level level) {
        synchronized (appender) { // the lock AppenderBase.doAppend holds while it adds
            return appender.list.stream().filter(e -> e.getLevel().isGreaterOrEqual(level))
                    .map(e -> e.getLevel() + " " + e.getFormattedMessage()).toList();
        }
    }

    @Override
    public void close() {
        logger.detachAppender(appender);
        logger.setAdditive(additive);
        appender.stop();
    }
}

package dev.belfry.host.internal.plugins;

import ch.qos.logback.classic.Level;
import ch.qos.logback.classic.Logger;
import ch.qos.logback.classic.spi.ILoggingEvent;
import ch.qos.logback.core.read.ListAppender;
import java.util.List;
import org.slf4j.LoggerFactory;

/**
 * Captures loggers' events while open (PF4J's always, since it logs a plugin's failed start on its own), and keeps
 * them out of the build log: tests that provoke refusals assert the lines instead of printing them.
 */
final class LogCapture implements AutoCloseable {
    private final List<Logger> loggers;
    private final ListAppender<ILoggingEvent> appender = new ListAppender<>();
    private final List<Boolean> additive;

    /** @param sources the classes whose loggers to capture; PF4J's own logger is captured too */
    LogCapture(Class<?>... sources) {
        loggers = java.util.stream.Stream.concat(java.util.Arrays.stream(sources).map(Class::getName),
                java.util.stream.Stream.of("org.pf4j")).map(n -> (Logger) LoggerFactory.getLogger(n)).toList();
        additive = loggers.stream().map(Logger::isAdditive).toList();
        appender.setContext(loggers.get(0).getLoggerContext());
        appender.start();
        for (Logger logger : loggers) {
            logger.addAppender(appender);
            logger.setAdditive(false);
        }
    }

    /** @return "LEVEL message" of each event at WARN or above from the given sources (not PF4J), in order */
    List<String> warnings() {
        synchronized (appender.list) {
            return appender.list.stream().filter(e -> e.getLevel().isGreaterOrEqual(Level.WARN))
                    .filter(e -> !e.getLoggerName().startsWith("org.pf4j"))
                    .map(e -> e.getLevel() + " " + e.getFormattedMessage()).toList();
        }
    }

    @Override
    public void close() {
        for (int i = 0; i < loggers.size(); i++) {
            loggers.get(i).detachAppender(appender);
            loggers.get(i).setAdditive(additive.get(i));
        }
        appender.stop();
    }
}

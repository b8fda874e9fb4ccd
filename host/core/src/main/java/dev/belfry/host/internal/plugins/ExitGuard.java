package dev.belfry.host.internal.plugins;

import java.lang.reflect.Field;
import java.security.Permission;
import java.util.Map;
import java.util.concurrent.ForkJoinPool;
import org.pf4j.PluginClassLoader;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Keeps plugin code from ending the host's JVM: while a host holds a guard, {@code System.exit} and
 * {@code Runtime.halt} throw {@link SecurityException} when a class loaded by a plugin is anywhere on the calling
 * stack, so the run that tried it fails instead of the host. Everything else stays allowed.
 *
 * <p>The only hook the JDK offers for this is a {@link SecurityManager}. Java 17 allows installing one at run time;
 * JDK 18 to 23 only with {@code -Djava.security.manager=allow}, which {@code bin/belfry} passes; JDK 24 removed it,
 * and there protection is off. Installing it makes the JDK print four {@code WARNING} lines on standard error (its
 * first standard error, which {@code System.setErr} does not reach) asking the operator to report the deprecated
 * call to its maintainers; that is us, and we know. The JDK prints them once per calling class, so the guard enters
 * itself in the JDK's list of classes already warned about before it calls; that takes
 * {@code --add-opens java.base/java.lang=ALL-UNNAMED}, which {@code bin/belfry} passes on JDK 17-23. Without it
 * (an application embedding the host) the lines appear as before and the guard works all the same.
 *
 * <p>This is not a sandbox: a plugin runs with the host's rights and can still end the process by other means (see
 * docs/reliability.md).
 *
 * <p>Hosts in one JVM share one manager: the first guard installs it, the last one closed removes it if it is still
 * the installed one. A manager installed by someone else is left alone and decides on its own.
 */
@SuppressWarnings("removal") // SecurityManager is deprecated for removal; it is still the only exit hook on 17-23
public final class ExitGuard implements AutoCloseable {
    private static final Logger log = LoggerFactory.getLogger(ExitGuard.class);
    private static final Object LOCK = new Object();
    /** Guards not closed yet; guarded by LOCK. */
    private static int holders;
    /** The manager this class installed, while it may still be the JVM's; guarded by LOCK. */
    private static Manager installed;

    private final boolean protecting;
    private boolean closed;

    private ExitGuard(boolean protecting) {
        this.protecting = protecting;
    }

    /**
     * Installs the exit guard unless the JVM already has a security manager or does not allow one (then it logs
     * that exit protection is off). Never throws for either reason.
     *
     * @return a handle to close when the host stops
     */
    public static ExitGuard acquire() {
        synchronized (LOCK) {
            holders++;
            if (installed == null) {
                SecurityManager current = System.getSecurityManager();
                if (current == null) {
                    install();
                } else {
                    log.info("a security manager ({}) is already installed; it decides whether plugins may call"
                            + " System.exit", current.getClass().getName());
                }
            }
            return new ExitGuard(installed != null && System.getSecurityManager() == installed);
        }
    }

    private static void install() {
        // The common pool picks an "innocuous" thread factory if a security manager exists when it is created;
        // create it first so that installing the guard changes nothing about it.
        ForkJoinPool.commonPool();
        Manager manager = new Manager();
        try {
            markNoticeGiven();
            System.setSecurityManager(manager);
            installed = manager;
        } catch (UnsupportedOperationException e) {
            log.warn("exit protection is off: this JVM ({}) does not allow a security manager, so a plugin that"
                    + " calls System.exit ends the host (JDK 18-23: start it with -Djava.security.manager=allow;"
                    + " JDK 24 and later have no security manager)", Runtime.version());
        } catch (SecurityException e) {
            log.warn("exit protection is off: installing a security manager was refused: {}", e.getMessage());
        }
    }

    /**
     * Enters this class in {@code java.lang.System$CallersHolder.callers}, the JDK's record of classes it has warned
     * about calling {@code System.setSecurityManager}, so it does not print its notice for us. Where the JDK does not
     * open that record (no {@code --add-opens}) or has none, nothing changes but that the notice is printed.
     */
    @SuppressWarnings("unchecked")
    private static void markNoticeGiven() {
        try {
            Field callers = Class.forName("java.lang.System$CallersHolder").getDeclaredField("callers");
            callers.setAccessible(true);
            ((Map<Class<?>, Boolean>) callers.get(null)).put(ExitGuard.class, Boolean.TRUE);
        } catch (ReflectiveOperationException | RuntimeException e) {
            log.debug("the JDK prints its security manager notice ({}); bin/belfry passes --add-opens"
                    + " java.base/java.lang=ALL-UNNAMED to avoid it", e.toString());
        }
    }

    /** @return whether this JVM refuses {@code System.exit} from plugin code while the guard is held */
    public boolean protecting() {
        return protecting;
    }

    /** Releases the guard; the last one released removes the manager if it is still the installed one. */
    @Override
    public void close() {
        synchronized (LOCK) {
            if (closed) {
                return;
            }
            closed = true;
            holders--;
            if (holders == 0 && installed != null) {
                if (System.getSecurityManager() == installed) {
                    System.setSecurityManager(null);
                }
                installed = null;
            }
        }
    }

    /** Refuses exit when plugin code asks for it; permits everything else, and cheaply. */
    static final class Manager extends SecurityManager {
        @Override
        public void checkPermission(Permission perm) {
            // everything is permitted: this manager exists only for checkExit
        }

        @Override
        public void checkPermission(Permission perm, Object context) {
            // everything is permitted: this manager exists only for checkExit
        }

        @Override
        public void checkExit(int status) {
            for (Class<?> type : getClassContext()) {
                if (type.getClassLoader() instanceof PluginClassLoader) {
                    throw new SecurityException("plugin called " + (halting() ? "Runtime.halt" : "System.exit")
                            + "(" + status + "); refused (from " + type.getName() + ")");
                }
            }
        }

        private static boolean halting() {
            return StackWalker.getInstance().walk(frames -> frames.anyMatch(
                    f -> f.getClassName().equals("java.lang.Runtime") && f.getMethodName().equals("halt")));
        }
    }
}

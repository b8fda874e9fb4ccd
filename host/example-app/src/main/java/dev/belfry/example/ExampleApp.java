package dev.belfry.example;

import dev.belfry.host.Host;
import dev.belfry.host.HostConfig;
import dev.belfry.host.HostListener;
import dev.belfry.host.HostStartException;
import dev.belfry.host.PluginView;
import dev.belfry.host.RunView;
import java.nio.file.Path;
import java.util.concurrent.CountDownLatch;

/**
 * An application that embeds Belfry as a library (belfry-core only: no graph, no admin API, no command line): it
 * registers two jobs of its own, loads the plugins from a folder, listens to runs, and shuts the host down with the
 * JVM. docs/embedding.md walks through it.
 *
 * <p>Run it with {@code java -jar belfry-example-app.jar [--data DIR] [--plugins DIR]}.
 */
public final class ExampleApp {
    private ExampleApp() {
    }

    /**
     * @param data    the data directory
     * @param plugins the plugins folder
     * @return the host's configuration: the application's jobs, the plugins and a listener
     */
    static HostConfig config(Path data, Path plugins) {
        return HostConfig.builder()
                .dataDir(data)
                .pluginsDir(plugins)
                .register("example", new DigestJob(), new NightlyCleanupJob())
                .listener(new HostListener() {
                    @Override
                    public void runFinished(RunView run) {
                        System.out.println("[example-app] " + run.job() + " "
                                + (run.succeeded() ? "succeeded" : "failed: " + run.error().orElse("")));
                    }

                    @Override
                    public void pluginLoaded(PluginView plugin) {
                        System.out.println("[example-app] plugin " + plugin.id() + " " + plugin.version() + " loaded");
                    }
                })
                .build();
    }

    /**
     * @param args {@code --data DIR} (default {@code example-data}) and {@code --plugins DIR} (default
     *             {@code plugins})
     * @throws InterruptedException if interrupted while running
     */
    public static void main(String[] args) throws InterruptedException {
        Path data = Path.of("example-data");
        Path plugins = Path.of("plugins");
        for (int i = 0; i < args.length; i++) {
            String value = i + 1 < args.length ? args[i + 1] : null;
            switch (args[i]) {
                case "--data" -> data = Path.of(required(args[i], value));
                case "--plugins" -> plugins = Path.of(required(args[i], value));
                default -> exit("unknown option " + args[i] + " (use --data DIR and --plugins DIR)");
            }
            i++;
        }
        Host host;
        try {
            host = Host.start(config(data, plugins));
        } catch (HostStartException e) {
            exit(e.getMessage());
            return;
        }
        CountDownLatch stopped = new CountDownLatch(1);
        Runtime.getRuntime().addShutdownHook(new Thread(() -> {
            host.close();
            System.out.println("[example-app] stopped");
            stopped.countDown();
        }, "example-app-shutdown"));
        System.out.println("[example-app] running with " + host.jobs().size() + " jobs; Ctrl-C stops it");
        stopped.await();
    }

    private static String required(String option, String value) {
        if (value == null) {
            exit(option + " needs a value");
        }
        return value;
    }

    private static void exit(String message) {
        System.err.println("example-app: " + message);
        System.exit(2);
    }
}

package dev.belfry.host.internal.cli;

import com.fasterxml.jackson.databind.JsonNode;
import dev.belfry.host.internal.plugins.PluginTrust;
import java.io.IOException;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.util.List;
import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Option;
import picocli.CommandLine.Parameters;
import picocli.CommandLine.Spec;

/** {@code belfry plugins}: the plugins of a running host. */
@Command(name = "plugins", mixinStandardHelpOptions = true, description = "The plugins of a running host.",
        subcommands = {PluginsCommand.ListPlugins.class, PluginsCommand.Reload.class, PluginsCommand.Trust.class})
final class PluginsCommand {

    /** {@code belfry plugins list}. */
    @Command(name = "list", mixinStandardHelpOptions = true, description = "List plugins with their state and jobs.")
    static final class ListPlugins extends JobsCommand.HostOptions implements Callable<Integer> {
        @Spec
        CommandSpec spec;
        @Option(names = "--json", description = "Print JSON.")
        boolean json;

        @Override
        public Integer call() {
            JsonNode plugins = client().get("/plugins");
            if (json) {
                JobsCommand.printJson(spec.commandLine().getOut(), plugins);
                return 0;
            }
            TextTable table = new TextTable("PLUGIN", "VERSION", "STATE", "FILE", "JOBS", "DEPENDS ON");
            for (JsonNode p : plugins) {
                table.row(p.get("id").asText(), p.get("version").asText(), p.get("state").asText(),
                        p.get("file").asText(), p.get("jobs").size(), join(p.get("dependencies")));
            }
            table.print(spec.commandLine().getOut());
            return 0;
        }
    }

    /** {@code belfry plugins reload}. */
    @Command(name = "reload", mixinStandardHelpOptions = true, description = "Stop a plugin and start it again.")
    static final class Reload extends JobsCommand.HostOptions implements Callable<Integer> {
        @Spec
        CommandSpec spec;
        @Parameters(index = "0", paramLabel = "ID")
        String id;

        @Override
        public Integer call() {
            client().post("/plugins/" + JobsCommand.encode(id) + "/reload");
            spec.commandLine().getOut().println(id + ": reloaded");
            return 0;
        }
    }

    /**
     * {@code belfry plugins trust}: pins jars for {@code require-trusted-plugins = true}. Works on the data directory
     * directly, with or without a running host; a running host picks the new pins up on its next scan.
     */
    @Command(name = "trust", mixinStandardHelpOptions = true,
            description = "Pin plugin jars by SHA-256: with require-trusted-plugins = true only pinned jars load.")
    static final class Trust implements Callable<Integer> {
        @Spec
        CommandSpec spec;
        @Option(names = "--data", paramLabel = "DIR", defaultValue = "data",
                description = "The host's data directory (default ./data), where the pins are kept.")
        Path data;
        @Parameters(index = "0..*", arity = "1..*", paramLabel = "FILE", description = "Plugin jars to pin.")
        List<Path> files;

        @Override
        public Integer call() throws IOException {
            List<String> pinned;
            try {
                pinned = PluginTrust.pin(data, files);
            } catch (IllegalArgumentException | NoSuchFileException e) {
                throw new BelfryCli.BadInputException(e instanceof NoSuchFileException
                        ? "no such file: " + e.getMessage() : e.getMessage());
            }
            pinned.forEach(spec.commandLine().getOut()::println);
            spec.commandLine().getOut().println(pinned.size() + " jar(s) pinned in "
                    + PluginTrust.pinFile(data));
            return 0;
        }
    }

    static String join(JsonNode array) {
        StringBuilder b = new StringBuilder();
        array.forEach(n -> b.append(b.length() == 0 ? "" : ", ").append(n.asText()));
        return b.length() == 0 ? "-" : b.toString();
    }
}

package dev.belfry.host.internal.cli;

import picocli.CommandLine;
import picocli.CommandLine.Command;

/** The {@code belfry} command: entry point of the distribution's launcher. */
@Command(name = "belfry", mixinStandardHelpOptions = true, version = "belfry 0.1.0",
        description = "Belfry: a plugin host that fires background jobs on time.")
public final class BelfryCli {

    public static void main(String[] args) {
        System.exit(new CommandLine(new BelfryCli()).execute(args));
    }
}

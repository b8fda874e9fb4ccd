package dev.belfry.host.internal.cli;

import dev.belfry.host.internal.admin.AdminServer;
import dev.belfry.host.internal.admin.ui.Dashboard;
import java.awt.Desktop;
import java.awt.GraphicsEnvironment;
import java.io.PrintWriter;
import java.net.URI;
import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Option;
import picocli.CommandLine.Spec;

/**
 * {@code belfry dashboard}: asks the running host for a one-time login link to its web dashboard, prints it, and on a
 * desktop opens it. The admin token gets an operator link, the viewer token a read-only one.
 */
@Command(name = "dashboard", mixinStandardHelpOptions = true,
        description = "Print a one-time login link to the host's web dashboard (valid 2 minutes, works once) and,"
                + " on a desktop, open it in the browser.")
final class DashboardCommand extends JobsCommand.HostOptions implements Callable<Integer> {
    @Spec
    CommandSpec spec;

    @Option(names = "--viewer", description = "Log in read-only, with the viewer token (<data>/"
            + Dashboard.VIEWER_TOKEN_FILE + ") rather than the admin token.")
    boolean viewer;

    @Option(names = "--no-browser", description = "Only print the link; do not open a browser.")
    boolean noBrowser;

    @Override
    public Integer call() {
        AdminClient client = AdminClient.forDataDir(data, viewer ? Dashboard.VIEWER_TOKEN_FILE
                : AdminServer.TOKEN_FILE);
        String url = AdminClient.need(client.post(viewer ? "/ui/codes?role=viewer" : "/ui/codes"),
                "POST /ui/codes", "url").asText();
        PrintWriter out = spec.commandLine().getOut();
        out.println(url);
        String role = viewer ? "viewer (read-only)" : "operator";
        if (!noBrowser && open(url)) {
            out.println("Opened in your browser as " + role + "; the link works once.");
        } else {
            out.println("Open it in a browser on this machine within 2 minutes to log in as " + role
                    + "; it works once.");
        }
        return 0;
    }

    /** @return whether a browser was asked to open the link; never fails (no display, no desktop, no AWT) */
    private static boolean open(String url) {
        try {
            if (GraphicsEnvironment.isHeadless() || !Desktop.isDesktopSupported()
                    || !Desktop.getDesktop().isSupported(Desktop.Action.BROWSE)) {
                return false;
            }
            Desktop.getDesktop().browse(URI.create(url));
            return true;
        } catch (Exception | LinkageError e) {
            return false;
        }
    }
}

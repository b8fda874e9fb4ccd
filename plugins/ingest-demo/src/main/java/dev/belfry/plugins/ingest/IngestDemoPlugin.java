package dev.belfry.plugins.ingest;

import org.pf4j.Plugin;

/** The ingest-demo plugin. Its declared jobs are the {@code @Extension} classes in this package. */
public class IngestDemoPlugin extends Plugin {
}

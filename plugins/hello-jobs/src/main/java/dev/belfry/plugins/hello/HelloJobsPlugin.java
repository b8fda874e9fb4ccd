package dev.belfry.plugins.hello;

import org.pf4j.Plugin;

/** The hello-jobs plugin. Its jobs are the {@code @Extension} classes in this package. */
public class HelloJobsPlugin extends Plugin {
}

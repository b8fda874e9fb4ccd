package dev.belfry.host;

import static org.assertj.core.api.Assertions.assertThat;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.junit.jupiter.api.Test;

/**
 * What an application that embeds belfry-core gets on its class path: at most 15 jars, none of them a graph server
 * or driver, a command-line library, a logging backend or a web server (docs/embedding.md). The build writes the
 * list (maven-dependency-plugin's list goal, runtime scope) before the tests run; the enforcer's bannedDependencies
 * rule refuses the banned groups too, this test adds the count.
 */
class CoreDependenciesTest {
    private static final Path LIST = Path.of("target", "runtime-dependencies.txt");
    /** {@code group:artifact:type[:classifier]:version:scope}, as the list goal writes each jar. */
    private static final Pattern JAR = Pattern.compile("^\\s+([\\w.-]+):([\\w.-]+):jar:.*:(compile|runtime)\\b.*$");
    private static final List<String> BANNED = List.of("org.neo4j", "org.neo4j.driver", "info.picocli",
            "ch.qos.logback", "org.eclipse.jetty", "io.netty");

    @Test
    void shouldKeepTheRuntimeClosureToFifteenJarsWithNoServerDriverCliOrLoggingBackend() throws IOException {
        List<String> jars = Files.readAllLines(LIST).stream().map(JAR::matcher).filter(Matcher::matches)
                .map(m -> m.group(1) + ":" + m.group(2)).toList();

        assertThat(jars).as("belfry-core's runtime jars").isNotEmpty().hasSizeLessThanOrEqualTo(15)
                .contains("org.slf4j:slf4j-api", "org.pf4j:pf4j");
        assertThat(jars).as("banned from belfry-core")
                .noneMatch(j -> BANNED.stream().anyMatch(g -> j.startsWith(g + ":")));
    }
}

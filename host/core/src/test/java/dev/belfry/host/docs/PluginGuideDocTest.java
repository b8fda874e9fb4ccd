package dev.belfry.host.docs;

import static org.assertj.core.api.Assertions.assertThat;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.junit.jupiter.api.Test;

/**
 * The plugin guide's example pom is what an author copies: the versions in it must be the ones this build uses, or
 * the author compiles against another PF4J than the host runs.
 */
class PluginGuideDocTest {
    private static final Path GUIDE = Path.of("..", "..", "docs", "plugin-guide.md");
    private static final Path PARENT_POM = Path.of("..", "..", "pom.xml");
    private static final Pattern XML_BLOCK = Pattern.compile("```xml\\n(.*?)```", Pattern.DOTALL);
    private static final Pattern ARTIFACT_VERSION = Pattern.compile(
            "<artifactId>([^<]+)</artifactId>\\s*<version>([^<]+)</version>");

    @Test
    void shouldShowTheVersionsTheBuildUsesInTheGuidesPom() throws IOException {
        String guide = Files.readString(GUIDE);
        Matcher block = XML_BLOCK.matcher(guide);
        assertThat(block.find()).as("the guide's example pom").isTrue();
        Map<String, String> shown = versions(block.group(1));

        String parent = Files.readString(PARENT_POM);
        Map<String, String> built = versions(parent);
        Map<String, String> expected = new LinkedHashMap<>();
        expected.put("pf4j", property(parent, "pf4j.version"));
        expected.put("belfry-plugin-api", built.get("belfry-parent"));
        expected.put("maven-compiler-plugin", built.get("maven-compiler-plugin"));
        expected.put("maven-jar-plugin", built.get("maven-jar-plugin"));
        expected.put("maven-surefire-plugin", built.get("maven-surefire-plugin"));
        expected.put("belfry-test", built.get("belfry-parent"));
        expected.put("junit-jupiter", property(parent, "junit.version"));

        assertThat(shown).as("versions in docs/plugin-guide.md's pom").containsAllEntriesOf(expected);
    }

    private static Map<String, String> versions(String xml) {
        Map<String, String> out = new LinkedHashMap<>();
        Matcher m = ARTIFACT_VERSION.matcher(xml);
        while (m.find()) {
            out.putIfAbsent(m.group(1).strip(), m.group(2).strip());
        }
        return out;
    }

    private static String property(String pom, String name) {
        Matcher m = Pattern.compile("<" + Pattern.quote(name) + ">([^<]+)</" + Pattern.quote(name) + ">").matcher(pom);
        assertThat(m.find()).as("property %s in the parent pom", name).isTrue();
        return m.group(1).strip();
    }
}

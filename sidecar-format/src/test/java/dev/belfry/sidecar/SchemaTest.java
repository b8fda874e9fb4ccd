package dev.belfry.sidecar;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.io.IOException;
import java.util.ArrayList;
import java.util.Iterator;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeSet;
import org.junit.jupiter.api.Test;

// The schema is written by hand; these checks stop it from drifting away from what the codec writes.
class SchemaTest {
    private static final String SCHEMA = "/dev/belfry/sidecar/background-jobs.schema.json";
    private final ObjectMapper mapper = new ObjectMapper();

    private JsonNode schema() throws IOException {
        return mapper.readTree(Fixtures.resource(SCHEMA));
    }

    @Test
    void shouldBeValidDraft202012JsonWhenLoadedFromTheClassPath() throws IOException {
        JsonNode schema = schema();

        assertThat(schema.path("$schema").asText()).isEqualTo("https://json-schema.org/draft/2020-12/schema");
        assertThat(schema.path("properties").path("format").path("const").asText())
                .isEqualTo(SidecarDocument.FORMAT);
    }

    @Test
    void shouldDeclareEveryMemberTheCodecWritesWhenRecordsAreFullyPopulated() throws IOException {
        Set<String> declared = new TreeSet<>();
        collectPropertyNames(schema(), declared);
        Set<String> written = new TreeSet<>();
        collectMemberNames(mapper.readTree(new SidecarCodec().encode(Fixtures.fullDocument())), written);

        assertThat(written).contains("duration_ms", "initial_delay", "expression", "zone", "at", "checkpoint",
                "orphaned_at", "dynamic");
        assertThat(declared).containsAll(written);
    }

    @Test
    void shouldListJobMembersInTheOrderTheCodecWritesThem() throws IOException {
        List<String> declared = new ArrayList<>();
        schema().at("/$defs/job/properties").fieldNames().forEachRemaining(declared::add);
        JsonNode job = mapper.readTree(new SidecarCodec().encode(Fixtures.fullDocument())).path("jobs").path(0);
        List<String> written = new ArrayList<>();
        job.fieldNames().forEachRemaining(written::add);

        assertThat(declared).containsExactlyElementsOf(written);
    }

    @Test
    void shouldDeclareExactlyTheJobFieldsInTheirOrder() throws IOException {
        List<String> declared = new ArrayList<>();
        schema().at("/$defs/job/properties").fieldNames().forEachRemaining(declared::add);

        assertThat(declared).as("every JobField in the schema, and no job member the schema has that JobField lacks")
                .containsExactlyElementsOf(JobField.jsonNames());
    }

    @Test
    void shouldRequireExactlyTheJobFieldsAReaderRequires() throws IOException {
        Set<String> required = new TreeSet<>();
        schema().at("/$defs/job/required").forEach(n -> required.add(n.asText()));

        assertThat(required).containsExactlyInAnyOrderElementsOf(java.util.Arrays.stream(JobField.values())
                .filter(JobField::required).map(JobField::jsonName).toList());
    }

    @Test
    void shouldRequireNeitherOrphanedAtNorDynamicSoOlderFilesStayValid() throws IOException {
        List<String> required = new ArrayList<>();
        schema().at("/$defs/job/required").forEach(n -> required.add(n.asText()));

        assertThat(required).contains("paused").doesNotContain("orphaned_at", "dynamic");
        assertThat(schema().at("/$defs/job/properties/orphaned_at/$ref").asText())
                .isEqualTo("#/$defs/nullableInstant");
        assertThat(schema().at("/$defs/job/properties/dynamic/type").asText()).isEqualTo("boolean");
    }

    @Test
    void shouldDescribeEveryDeclaredPropertyWhenReadByHumans() throws IOException {
        assertEveryPropertyDescribed(schema(), "$");
    }

    @Test
    void shouldListEveryStatusWhenDeclaringTheStatusEnum() throws IOException {
        JsonNode statuses = schema().at("/$defs/job/properties/status/enum");
        Set<String> names = new TreeSet<>();
        statuses.forEach(n -> names.add(n.asText()));

        assertThat(names).hasSize(JobStatus.values().length);
        for (JobStatus s : JobStatus.values()) {
            assertThat(names).contains(s.jsonName());
        }
    }

    private static void collectPropertyNames(JsonNode node, Set<String> into) {
        if (node.isObject()) {
            JsonNode props = node.get("properties");
            if (props != null) {
                props.fieldNames().forEachRemaining(into::add);
            }
            node.elements().forEachRemaining(child -> collectPropertyNames(child, into));
        } else if (node.isArray()) {
            node.elements().forEachRemaining(child -> collectPropertyNames(child, into));
        }
    }

    private static void collectMemberNames(JsonNode node, Set<String> into) {
        if (node.isObject()) {
            for (Iterator<Map.Entry<String, JsonNode>> it = node.fields(); it.hasNext(); ) {
                Map.Entry<String, JsonNode> e = it.next();
                into.add(e.getKey());
                collectMemberNames(e.getValue(), into);
            }
        } else if (node.isArray()) {
            node.elements().forEachRemaining(child -> collectMemberNames(child, into));
        }
    }

    private static void assertEveryPropertyDescribed(JsonNode node, String where) {
        if (node.isObject()) {
            JsonNode props = node.get("properties");
            if (props != null) {
                props.fields().forEachRemaining(e -> assertThat(e.getValue().path("description").asText())
                        .as("description of " + where + "." + e.getKey()).isNotBlank());
            }
            node.fields().forEachRemaining(e -> assertEveryPropertyDescribed(e.getValue(), where + "." + e.getKey()));
        } else if (node.isArray()) {
            node.elements().forEachRemaining(child -> assertEveryPropertyDescribed(child, where));
        }
    }
}

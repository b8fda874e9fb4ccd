package dev.belfry.sidecar;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;
import java.io.IOException;
import java.lang.reflect.RecordComponent;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Locale;
import org.junit.jupiter.api.Test;

/** JobField is the one spelling of a job's members: it must name every persisted component, and the codec obeys it. */
class JobFieldTest {
    private final ObjectMapper mapper = new ObjectMapper();
    private final SidecarCodec codec = new SidecarCodec();

    @Test
    void shouldNameEveryPersistedComponentOfAJobRecordAndNothingElse() {
        List<String> components = Arrays.stream(JobRecord.class.getRecordComponents())
                .map(RecordComponent::getName).filter(n -> !n.equals("unknown")).toList();

        assertThat(Arrays.stream(JobField.values()).map(JobFieldTest::camelCase).toList())
                .as("a JobRecord component needs a JobField (and the codec, the schema and the views with it)")
                .containsExactlyElementsOf(components);
    }

    @Test
    void shouldListTheMembersInTheOrderTheCodecWritesThem() throws IOException {
        JsonNode job = mapper.readTree(codec.encode(Fixtures.fullDocument())).path("jobs").path(0);
        List<String> written = new ArrayList<>();
        job.fieldNames().forEachRemaining(written::add);

        assertThat(JobField.jsonNames()).containsExactlyElementsOf(written);
    }

    @Test
    void shouldRefuseAJobWithoutARequiredFieldAndReadOneWithoutAnOptionalField() throws IOException {
        for (JobField field : JobField.values()) {
            ObjectNode document = (ObjectNode) mapper.readTree(codec.encode(Fixtures.fullDocument()));
            ((ObjectNode) document.path("jobs").path(0)).remove(field.jsonName());
            byte[] bytes = mapper.writeValueAsBytes(document);

            if (field.required()) {
                assertThatThrownBy(() -> codec.decode(bytes, "doc")).as(field.jsonName())
                        .isInstanceOf(SidecarFormatException.class)
                        .hasMessageContaining("missing required member \"" + field.jsonName() + "\"");
            } else {
                assertThat(codec.decode(bytes, "doc").jobs()).as(field.jsonName())
                        .hasSize(Fixtures.fullDocument().jobs().size());
            }
        }
    }

    // next_fire_at -> nextFireAt, qname -> qname
    private static String camelCase(JobField field) {
        String[] words = field.jsonName().split("_");
        StringBuilder b = new StringBuilder(words[0]);
        for (int i = 1; i < words.length; i++) {
            b.append(words[i].substring(0, 1).toUpperCase(Locale.ROOT)).append(words[i].substring(1));
        }
        return b.toString();
    }
}

package dev.belfry.api;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;
import org.junit.jupiter.params.provider.ValueSource;
import org.junit.jupiter.api.Test;

class QNameTest {

    @Test
    void shouldSplitAtTheLastDotWhenTheNamespaceHasDots() {
        QName q = QName.parse("com.example.reports.nightly-export");

        assertThat(q.namespace()).isEqualTo("com.example.reports");
        assertThat(q.name()).isEqualTo("nightly-export");
        assertThat(q).hasToString("com.example.reports.nightly-export");
    }

    @Test
    void shouldAcceptUnicodeLettersAndDigits() {
        assertThat(QName.of("räder", "nächtlich_2")).hasToString("räder.nächtlich_2");
    }

    @ParameterizedTest
    @ValueSource(strings = {"nodot", ".leading", "trailing.", ""})
    void shouldRejectTextWithoutBothPartsWhenParsing(String text) {
        assertThatThrownBy(() -> QName.parse(text))
                .isInstanceOf(IllegalArgumentException.class)
                .hasMessageContaining("\"" + text + "\"");
    }

    @ParameterizedTest
    @CsvSource(delimiter = '|', value = {
            "hello jobs|' ' at position 6",
            "-lead|'-' at position 1",
            "quote\"d|'\"' at position 6",
            "semi;colon|';' at position 5"})
    void shouldNameTheBadCharacterAndPositionWhenANamespaceIsInvalid(String namespace, String detail) {
        assertThatThrownBy(() -> QName.of(namespace, "job"))
                .isInstanceOf(IllegalArgumentException.class)
                .hasMessageStartingWith("invalid plugin id \"" + namespace + "\"")
                .hasMessageContaining(detail);
    }

    @Test
    void shouldRejectDotsInTheLocalName() {
        assertThatThrownBy(() -> QName.of("plugin", "a.b"))
                .hasMessageContaining("invalid job name \"a.b\"")
                .hasMessageContaining("'.' at position 2");
    }

    @Test
    void shouldRejectNamesLongerThanTheLimit() {
        String longName = "x".repeat(QName.MAX_NAME_LENGTH + 1);

        assertThatThrownBy(() -> QName.of("plugin", longName)).hasMessageContaining("longer than 128");
        assertThat(QName.of("plugin", "x".repeat(QName.MAX_NAME_LENGTH)).name()).hasSize(128);
    }

    @Test
    void shouldOrderByNamespaceThenName() {
        assertThat(QName.parse("a.z")).isLessThan(QName.parse("b.a"));
        assertThat(QName.parse("a.a")).isLessThan(QName.parse("a.b"));
    }
}

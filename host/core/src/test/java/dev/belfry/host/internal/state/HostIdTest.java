package dev.belfry.host.internal.state;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.junit.jupiter.api.Assertions.assertTimeoutPreemptively;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.stream.Stream;
import org.junit.jupiter.api.Assumptions;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class HostIdTest {
    @TempDir
    Path data;

    private Path file() {
        return data.resolve("_system").resolve(HostId.FILE);
    }

    @Test
    void shouldMakeAnIdOnceAndReadTheSameOneAfterwards() throws IOException {
        String id = HostId.of(data);

        assertThat(id).matches("[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}");
        assertThat(HostId.of(data)).isEqualTo(id);
        assertThat(Files.readString(file())).isEqualTo(id + "\n");
        try (Stream<Path> s = Files.list(file().getParent())) {
            assertThat(s.map(p -> p.getFileName().toString())).as("no temporary file left").containsExactly("host.id");
        }
    }

    @Test
    void shouldNameTheFileAndKeepItWhenItHoldsBytesThatAreNotText() throws IOException {
        Files.createDirectories(file().getParent());
        byte[] garbage = {(byte) 0xff, (byte) 0xfe, 0x00, 0x41, '\n'};
        Files.write(file(), garbage);

        assertThatThrownBy(() -> HostId.of(data))
                .isInstanceOf(IOException.class)
                .hasMessage("host id file " + file() + " does not hold a host id (a UUID such as"
                        + " 123e4567-e89b-42d3-a456-426614174000); it holds \"\\xff\\xfe\\x00A\\x0a\": restore it from"
                        + " a backup, or delete it to give this data directory a new host id (the graph then shows a"
                        + " new host)");
        assertThat(Files.readAllBytes(file())).isEqualTo(garbage);
    }

    @Test
    void shouldRefuseTextThatIsNotAnIdInsteadOfSilentlyReplacingIt() throws IOException {
        Files.createDirectories(file().getParent());
        Files.writeString(file(), "my-host\n");

        assertThatThrownBy(() -> HostId.of(data)).isInstanceOf(IOException.class)
                .hasMessageContaining(file().toString()).hasMessageContaining("it holds \"my-host\\x0a\"");
        assertThat(Files.readString(file())).isEqualTo("my-host\n");
    }

    @Test
    void shouldRefuseAnEmptyFileAndAHugeOneWithoutReadingItWhole() throws IOException {
        Files.createDirectories(file().getParent());
        Files.write(file(), new byte[0]);
        assertThatThrownBy(() -> HostId.of(data)).hasMessageContaining("it holds nothing");

        Files.writeString(file(), "123e4567-e89b-42d3-a456-426614174000" + " ".repeat(5000));
        assertThatThrownBy(() -> HostId.of(data)).hasMessageContaining(file() + " does not hold a host id")
                .hasMessageContaining("\"...");
    }

    @Test
    void shouldRefuseANamedPipeAtOnce() throws Exception {
        Files.createDirectories(file().getParent());
        Process mkfifo = new ProcessBuilder("mkfifo", file().toString()).start();
        Assumptions.assumeTrue(mkfifo.waitFor() == 0, "mkfifo is not available here");

        assertThatThrownBy(() -> assertTimeoutPreemptively(Duration.ofSeconds(10), () -> HostId.of(data)))
                .isInstanceOf(IOException.class)
                .hasMessageStartingWith("host id file " + file() + " is not a regular file");
    }
}

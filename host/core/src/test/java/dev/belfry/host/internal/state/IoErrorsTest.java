package dev.belfry.host.internal.state;

import static org.assertj.core.api.Assertions.assertThat;

import java.io.IOException;
import java.nio.file.AccessDeniedException;
import java.nio.file.FileSystemException;
import java.nio.file.NoSuchFileException;
import org.junit.jupiter.api.Test;

class IoErrorsTest {
    @Test
    void shouldSayWhatWentWrongWhenTheJdkGivesOnlyAPath() {
        assertThat(IoErrors.describe(new AccessDeniedException("/data/_system/host.lock")))
                .isEqualTo("/data/_system/host.lock: permission denied");
        assertThat(IoErrors.describe(new NoSuchFileException("/data")))
                .isEqualTo("/data: does not exist");
    }

    @Test
    void shouldKeepTheOperatingSystemsReasonWhenThereIsOne() {
        assertThat(IoErrors.describe(new FileSystemException("/data/_system", null, "Read-only file system")))
                .isEqualTo("/data/_system: Read-only file system");
        assertThat(IoErrors.describe(new IOException("No space left on device")))
                .isEqualTo("No space left on device");
    }
}

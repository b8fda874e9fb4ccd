package dev.belfry.host.internal.state;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.nio.file.attribute.PosixFilePermission;
import org.junit.jupiter.api.Test;

class OwnerOnlyTest {
    @Test
    void shouldHandOutModesThatNoCodeInTheJvmCanWiden() {
        // every host in the JVM creates its files with these: one caller widening them would widen all of them
        assertThatThrownBy(() -> OwnerOnly.FILE.add(PosixFilePermission.OTHERS_READ))
                .isInstanceOf(UnsupportedOperationException.class);
        assertThatThrownBy(() -> OwnerOnly.FOLDER.add(PosixFilePermission.OTHERS_EXECUTE))
                .isInstanceOf(UnsupportedOperationException.class);
        assertThat(OwnerOnly.FILE).containsExactlyInAnyOrder(PosixFilePermission.OWNER_READ,
                PosixFilePermission.OWNER_WRITE);
        assertThat(OwnerOnly.FOLDER).containsExactlyInAnyOrder(PosixFilePermission.OWNER_READ,
                PosixFilePermission.OWNER_WRITE, PosixFilePermission.OWNER_EXECUTE);
    }
}

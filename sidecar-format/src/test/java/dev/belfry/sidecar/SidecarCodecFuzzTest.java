package dev.belfry.sidecar;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.fail;

import java.util.Arrays;
import java.util.Random;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

// Damaged files must never surface as anything but SidecarFormatException (or, by luck, a valid document).
class SidecarCodecFuzzTest {
    // Override with -Dsidecar.fuzz.seed=... -Dsidecar.fuzz.mutations=... for a longer local run.
    private static final long SEED = Long.getLong("sidecar.fuzz.seed", 0xBE1F_2026L);
    private static final int MUTATIONS = Integer.getInteger("sidecar.fuzz.mutations", 2_000);

    private final SidecarCodec codec = new SidecarCodec();

    @Test
    @Timeout(value = 60, unit = TimeUnit.SECONDS) // a guard against hangs, not a performance assertion
    void shouldOnlyThrowSidecarFormatExceptionWhenValidDocumentIsMutated() {
        byte[] seeds0 = Fixtures.resource("golden/v1-full.json");
        byte[] seeds1 = Fixtures.resource("golden/v2-unknown-fields.json");
        byte[] seeds2 = Fixtures.resource("golden/legacy.json");
        byte[][] seeds = {seeds0, seeds1, seeds2};
        Random random = new Random(SEED);
        int rejected = 0;

        for (int i = 0; i < MUTATIONS; i++) {
            byte[] input = mutate(seeds[i % seeds.length], random);
            try {
                SidecarDocument doc = codec.decode(input, "fuzz.json");
                // Whatever was accepted must be writable and read back the same.
                assertThat(codec.decode(codec.encode(doc), "fuzz-again.json")).isEqualTo(doc);
            } catch (SidecarFormatException e) {
                rejected++;
                assertThat(e.line()).isPositive();
                assertThat(e.column()).isPositive();
                assertThat(e.field()).isNotBlank();
                assertThat(e.getMessage()).doesNotContain("\n").startsWith("fuzz.json:");
            } catch (RuntimeException | Error e) {
                fail("mutation " + i + " (seed " + SEED + ") threw " + e + " for input:\n"
                        + new String(input, java.nio.charset.StandardCharsets.UTF_8), e);
            }
        }

        assertThat(rejected).as("most mutations are rejected").isGreaterThan(MUTATIONS / 2);
    }

    private static byte[] mutate(byte[] original, Random random) {
        byte[] b = original.clone();
        int kind = random.nextInt(5);
        switch (kind) {
            case 0: { // flip bits
                int flips = 1 + random.nextInt(4);
                for (int f = 0; f < flips; f++) {
                    int at = random.nextInt(b.length);
                    b[at] ^= (byte) (1 << random.nextInt(8));
                }
                return b;
            }
            case 1: // truncate
                return Arrays.copyOf(b, random.nextInt(b.length));
            case 2: { // delete a run of characters
                int at = random.nextInt(b.length);
                int len = 1 + random.nextInt(Math.min(8, b.length - at));
                byte[] out = new byte[b.length - len];
                System.arraycopy(b, 0, out, 0, at);
                System.arraycopy(b, at + len, out, at, b.length - at - len);
                return out;
            }
            case 3: { // overwrite with a structurally interesting character
                byte[] specials = "{}[]\",:-019eE.\\ntfu \u0000".getBytes(java.nio.charset.StandardCharsets.UTF_8);
                int changes = 1 + random.nextInt(3);
                for (int c = 0; c < changes; c++) {
                    b[random.nextInt(b.length)] = specials[random.nextInt(specials.length)];
                }
                return b;
            }
            default: { // duplicate a slice in place
                int from = random.nextInt(b.length);
                int len = 1 + random.nextInt(Math.min(40, b.length - from));
                int to = random.nextInt(b.length);
                byte[] out = new byte[b.length + len];
                System.arraycopy(b, 0, out, 0, to);
                System.arraycopy(b, from, out, to, len);
                System.arraycopy(b, to, out, to + len, b.length - to);
                return out;
            }
        }
    }
}

package dev.spanlinks.streams.trace.internals;

import static org.assertj.core.api.Assertions.assertThat;

import java.nio.charset.StandardCharsets;
import java.util.Random;
import org.junit.jupiter.api.Test;

/** The UTF-8 length OtlpSizes counts is exactly the length of the encoded bytes. */
class OtlpSizesTest {
  @Test
  void shouldCountUtf8BytesAsTheEncoderWritesThem() {
    Random random = new Random(5);
    for (int n = 0; n < 20_000; n++) {
      char[] chars = new char[random.nextInt(12)];
      for (int i = 0; i < chars.length; i++) {
        // ASCII, 2- and 3-byte characters, and surrogates paired or not.
        chars[i] =
            switch (random.nextInt(4)) {
              case 0 -> (char) random.nextInt(0x80);
              case 1 -> (char) (0x80 + random.nextInt(0x780));
              case 2 -> (char) (0xd800 + random.nextInt(0x800));
              default -> (char) random.nextInt(0x10000);
            };
      }
      String text = new String(chars);
      assertThat(OtlpSizes.utf8(text))
          .as("%s", text.codePoints().boxed().toList())
          .isEqualTo(text.getBytes(StandardCharsets.UTF_8).length);
      assertThat(OtlpSizes.Text.LOOSE.bytes(text))
          .as("loose, %s", text.codePoints().boxed().toList())
          .isGreaterThanOrEqualTo(text.getBytes(StandardCharsets.UTF_8).length);
    }
  }
}

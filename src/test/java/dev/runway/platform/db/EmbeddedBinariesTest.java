package dev.runway.platform.db;

import static org.assertj.core.api.Assertions.assertThat;

import java.io.InputStream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;

class EmbeddedBinariesTest {
  @ParameterizedTest
  @CsvSource({"Linux,x86_64", "Linux,arm_64", "Darwin,x86_64", "Darwin,arm_64"})
  void every_supported_platform_finds_an_archive(String system, String arch) throws Exception {
    try (InputStream in = EmbeddedBinaries.INSTANCE.getPgBinary(system, arch)) {
      assertThat(in).isNotNull();
      // An xz stream: the archive itself, not an empty placeholder.
      assertThat(in.readNBytes(6)).containsExactly(0xFD, '7', 'z', 'X', 'Z', 0x00);
    }
  }

  @Test
  void windows_is_not_shipped() {
    org.assertj.core.api.Assertions.assertThatThrownBy(
            () -> EmbeddedBinaries.INSTANCE.getPgBinary("Windows", "x86_64"))
        .isInstanceOf(IllegalStateException.class);
  }
}

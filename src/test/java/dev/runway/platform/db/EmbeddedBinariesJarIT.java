package dev.runway.platform.db;

import static org.assertj.core.api.Assertions.assertThat;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.zip.ZipFile;
import org.junit.jupiter.api.Test;

/** The one-command start works on the machines users have: the jar carries their PostgreSQL. */
class EmbeddedBinariesJarIT {
  @Test
  void the_jar_holds_postgresql_for_linux_x86_64_and_arm64_and_one_universal_archive_for_macos()
      throws Exception {
    Path jar = Path.of("target/runway.jar");
    assertThat(jar).as("run `mvn package` first").exists();
    try (ZipFile zip = new ZipFile(jar.toFile())) {
      List<String> archives =
          zip.stream()
              .map(e -> e.getName())
              .filter(n -> n.startsWith("postgres-") && n.endsWith(".txz"))
              .sorted()
              .toList();
      // macOS x86-64 and arm64 both run postgres-darwin-x86_64.txz, a universal build (see
      // EmbeddedBinaries); Windows and Alpine are not shipped.
      assertThat(archives)
          .containsExactly(
              EmbeddedBinaries.DARWIN_UNIVERSAL,
              "postgres-linux-arm_64.txz",
              "postgres-linux-x86_64.txz");
    }
    // The README states the jar's size; it should not grow unnoticed past what it says.
    assertThat(Files.size(jar)).isLessThan(160L * 1024 * 1024);
  }
}

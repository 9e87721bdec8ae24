package dev.runway.platform.db;

import static org.assertj.core.api.Assertions.assertThat;

import dev.runway.Main;
import java.io.PrintWriter;
import java.io.StringWriter;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * An external database may be down at start (the spool covers it), but the embedded one is Runway's
 * own: if it cannot start, {@code serve} stops with a message that says so and where.
 */
class EmbeddedDatabaseStartIT {
  @TempDir Path dir;

  @Test
  void an_embedded_database_that_cannot_start_stops_the_start_with_a_clear_message()
      throws Exception {
    Path data = dir.resolve("data");
    Path pgDir = data.resolve("postgres");
    Files.createDirectories(pgDir);
    // A data directory of a PostgreSQL major version that does not exist: the server refuses it.
    Files.writeString(pgDir.resolve("PG_VERSION"), "7\n");
    Files.writeString(dir.resolve("pools.yaml"), "pools: []\n");
    StringWriter out = new StringWriter();
    StringWriter err = new StringWriter();
    int exit =
        Main.commandLine(
                Map.of(
                    "RUNWAY_WEBHOOK_SECRETS", "x",
                    "RUNWAY_DATA_DIR", data.toString(),
                    "RUNWAY_PORT", "0",
                    "RUNWAY_ADMIN_PORT", "0",
                    "RUNWAY_POOLS", "file:" + dir.resolve("pools.yaml")),
                new PrintWriter(out, true),
                new PrintWriter(err, true))
            .execute("serve");
    assertThat(exit).isEqualTo(1);
    assertThat(err.toString())
        .contains("embedded PostgreSQL in " + pgDir.toAbsolutePath() + " did not start");
  }
}

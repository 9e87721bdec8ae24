package dev.runway.cli;

import dev.runway.config.RunwayConfig;
import dev.runway.db.Database;
import java.io.IOException;
import java.nio.file.Path;
import java.util.Map;
import picocli.CommandLine.Option;

/** Where a CLI command finds the database: the flag, {@code RUNWAY_DATABASE_URL}, or embedded. */
public final class DatabaseOptions {
  @Option(
      names = "--database-url",
      description = "JDBC URL (RUNWAY_DATABASE_URL); unset: the embedded database in --data-dir")
  String databaseUrl;

  @Option(names = "--data-dir", description = "RUNWAY_DATA_DIR (default runway-data)")
  String dataDir;

  public Database open(Map<String, String> env) throws IOException {
    String url = databaseUrl != null ? databaseUrl : env.get(RunwayConfig.DATABASE_URL);
    String dir = dataDir != null ? dataDir : env.getOrDefault(RunwayConfig.DATA_DIR, "runway-data");
    return Database.forCli(
        url,
        env.get(RunwayConfig.DATABASE_USER),
        env.get(RunwayConfig.DATABASE_PASSWORD),
        Path.of(dir));
  }
}

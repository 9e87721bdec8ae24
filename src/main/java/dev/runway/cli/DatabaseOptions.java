package dev.runway.cli;

import dev.runway.platform.config.RunwayConfig;
import dev.runway.platform.db.Database;
import java.io.IOException;
import java.nio.file.Path;
import java.util.Map;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Option;
import picocli.CommandLine.Spec;

/** Where a CLI command finds the database: the flag, {@code RUNWAY_DATABASE_URL}, or embedded. */
public final class DatabaseOptions {
  @Option(
      names = "--database-url",
      description = "JDBC URL (RUNWAY_DATABASE_URL); unset: the embedded database in --data-dir")
  String databaseUrl;

  @Option(names = "--data-dir", description = "RUNWAY_DATA_DIR (default runway-data)")
  String dataDir;

  // The command this mixin is part of: where the notice below goes.
  @Spec(Spec.Target.MIXEE)
  CommandSpec command;

  public Database open(Map<String, String> env) throws IOException {
    String url = databaseUrl != null ? databaseUrl : env.get(RunwayConfig.DATABASE_URL);
    String dir = dataDir != null ? dataDir : env.getOrDefault(RunwayConfig.DATA_DIR, "runway-data");
    return Database.forCli(
        url,
        env.get(RunwayConfig.DATABASE_USER),
        env.get(RunwayConfig.DATABASE_PASSWORD),
        Path.of(dir),
        this::notice);
  }

  /** On stderr, so the command's output still pipes cleanly. */
  private void notice(String line) {
    if (command != null) {
      command.commandLine().getErr().println(line);
      command.commandLine().getErr().flush();
    }
  }
}

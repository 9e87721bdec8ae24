package dev.runway.cli.service;

import dev.runway.cli.CliEnv;
import dev.runway.cli.UsageException;
import dev.runway.platform.config.RunwayConfig;
import dev.runway.platform.db.Database;
import java.util.Map;
import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Option;
import picocli.CommandLine.Spec;

/** {@code runway migrate}: applies the schema migrations to an external database. */
@Command(
    name = "migrate",
    mixinStandardHelpOptions = true,
    description = "Apply the database migrations to RUNWAY_DATABASE_URL, then exit.")
public final class MigrateCommand implements Callable<Integer> {
  @Option(names = "--database-url", description = "JDBC URL (RUNWAY_DATABASE_URL)")
  String databaseUrl;

  @Option(names = "--database-user", description = "RUNWAY_DATABASE_USER")
  String databaseUser;

  @Spec CommandSpec spec;

  @Override
  public Integer call() {
    Map<String, String> env = CliEnv.of(spec);
    String url = databaseUrl != null ? databaseUrl : env.get(RunwayConfig.DATABASE_URL);
    if (url == null || url.isBlank()) {
      throw new UsageException(
          RunwayConfig.DATABASE_URL
              + ": set the JDBC URL of the database to migrate (serve migrates the embedded"
              + " one itself)");
    }
    String user = databaseUser != null ? databaseUser : env.get(RunwayConfig.DATABASE_USER);
    try (Database db =
        Database.open(new Database.Target(url, user, env.get(RunwayConfig.DATABASE_PASSWORD)), 2)) {
      Database.migrate(db.main());
    }
    spec.commandLine().getOut().println("migrations applied");
    return 0;
  }
}

package dev.runway.cli.admin;

import dev.runway.claims.PoolTokens;
import dev.runway.cli.CliEnv;
import dev.runway.cli.DatabaseOptions;
import dev.runway.cli.Output;
import dev.runway.cli.TokenOutput;
import dev.runway.cli.UsageException;
import dev.runway.platform.config.RunwayConfig;
import dev.runway.platform.db.Database;
import dev.runway.pools.PoolSources;
import java.sql.Connection;
import java.time.Duration;
import java.time.Instant;
import java.util.List;
import java.util.Optional;
import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Option;
import picocli.CommandLine.Parameters;
import picocli.CommandLine.Spec;

/** {@code runway pools token create|revoke|list}: the bearer tokens of runner agents. */
@Command(
    name = "token",
    mixinStandardHelpOptions = true,
    description = "Manage the bearer tokens runner agents use to claim a pool's jobs.",
    subcommands = {
      PoolTokenCommand.Create.class,
      PoolTokenCommand.Revoke.class,
      PoolTokenCommand.ListTokens.class
    })
public final class PoolTokenCommand {

  @Command(
      name = "create",
      mixinStandardHelpOptions = true,
      description = {
        "Create a token for POOL and print it once on standard output.",
        "Runway stores only its SHA-256; a lost token cannot be shown again, only replaced."
      })
  static final class Create implements Callable<Integer> {
    @Mixin DatabaseOptions db;
    @Spec CommandSpec spec;

    @Parameters(paramLabel = "POOL", description = "the pool the token may claim jobs of")
    String pool;

    @Option(
        names = "--pools",
        description = "file:PATH or kubernetes:NAMESPACE that must list POOL (RUNWAY_POOLS)")
    String pools;

    @Option(
        names = "--force",
        description = "create the token even though the pool source does not list POOL (yet)")
    boolean force;

    @Override
    public Integer call() throws Exception {
      if (pool.isBlank()) {
        throw new UsageException("POOL must not be blank");
      }
      if (!force) {
        requireListed(this, CliEnv.of(spec));
      }
      PoolTokens.NewToken token;
      try (Database d = db.open(CliEnv.of(spec));
          Connection c = d.main().getConnection()) {
        token = new PoolTokens().create(c, pool);
      }
      return TokenOutput.created(spec, "token " + token.id() + " for pool " + pool, token.secret());
    }
  }

  /**
   * A token for a pool that no source lists claims nothing, and a typo would go unnoticed until a
   * runner waits forever; so the name is checked against the configured pool source.
   */
  private static void requireListed(Create c, java.util.Map<String, String> env) throws Exception {
    String source =
        c.pools != null ? c.pools : env.getOrDefault(RunwayConfig.POOLS, "file:pools.yaml");
    Optional<List<String>> names;
    try {
      names = PoolSources.listedNames(source, Duration.ofSeconds(10));
    } catch (IllegalArgumentException malformed) {
      throw new UsageException(malformed.getMessage());
    }
    if (names.isEmpty()) {
      throw new IllegalStateException(
          source
              + " does not answer, so pool "
              + c.pool
              + " cannot be checked; give --force to"
              + " create the token anyway");
    }
    if (!names.get().contains(c.pool)) {
      throw new UsageException(
          "pool "
              + c.pool
              + " is not listed by "
              + source
              + (names.get().isEmpty()
                  ? " (it lists no pools)"
                  : " (it lists " + String.join(", ", names.get()) + ")")
              + "; give --force to create the token anyway");
    }
  }

  @Command(name = "revoke", mixinStandardHelpOptions = true, description = "Revoke token ID.")
  static final class Revoke implements Callable<Integer> {
    @Mixin DatabaseOptions db;
    @Spec CommandSpec spec;

    @Parameters(paramLabel = "ID", description = "the token id from `pools token list`")
    long id;

    @Override
    public Integer call() throws Exception {
      boolean revoked;
      try (Database d = db.open(CliEnv.of(spec));
          Connection c = d.main().getConnection()) {
        revoked = new PoolTokens().revoke(c, id, Instant.now());
      }
      return TokenOutput.revoked(spec, "token", id, revoked);
    }
  }

  @Command(
      name = "list",
      mixinStandardHelpOptions = true,
      description = "List tokens (ids, pools, dates; never the tokens).")
  static final class ListTokens implements Callable<Integer> {
    @Mixin DatabaseOptions db;
    @Spec CommandSpec spec;

    @Option(names = "--pool", description = "only this pool's tokens")
    String pool;

    @Override
    public Integer call() throws Exception {
      List<PoolTokens.TokenInfo> tokens;
      try (Database d = db.open(CliEnv.of(spec));
          Connection c = d.main().getConnection()) {
        tokens = new PoolTokens().list(c, pool);
      }
      Output.table(
          spec.commandLine().getOut(),
          List.of("ID", "POOL", "CREATED", "REVOKED"),
          tokens.stream()
              .map(
                  t ->
                      List.of(
                          String.valueOf(t.id()),
                          t.pool(),
                          String.valueOf(t.createdAt()),
                          t.revokedAt() == null ? "-" : String.valueOf(t.revokedAt())))
              .toList());
      return 0;
    }
  }
}

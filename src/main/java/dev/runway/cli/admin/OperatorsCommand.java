package dev.runway.cli.admin;

import dev.runway.cli.CliEnv;
import dev.runway.cli.DatabaseOptions;
import dev.runway.cli.Output;
import dev.runway.cli.TokenOutput;
import dev.runway.cli.UsageException;
import dev.runway.operators.OperatorTokens;
import dev.runway.platform.db.Database;
import java.sql.Connection;
import java.time.Instant;
import java.util.List;
import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Parameters;
import picocli.CommandLine.Spec;

/**
 * {@code runway operators token create|list|revoke}: the bearer tokens that open the management
 * listener's {@code /api/v1}. These commands read the database directly and need no token.
 */
@Command(
    name = "operators",
    mixinStandardHelpOptions = true,
    description = "Manage operators' access to the management listener.",
    subcommands = {OperatorsCommand.Token.class})
public final class OperatorsCommand {

  @Command(
      name = "token",
      mixinStandardHelpOptions = true,
      description = "Manage operator bearer tokens (Authorization: Bearer <token> on /api/v1).",
      subcommands = {Create.class, ListTokens.class, Revoke.class})
  static final class Token {}

  @Command(
      name = "create",
      mixinStandardHelpOptions = true,
      description = {
        "Create a token for operator NAME and print it once on standard output.",
        "Runway stores only its SHA-256; a lost token cannot be shown again, only replaced."
      })
  static final class Create implements Callable<Integer> {
    @Mixin DatabaseOptions db;
    @Spec CommandSpec spec;

    // Optional, so a first try needs no name (and no $USER, which containers often lack).
    @Parameters(
        paramLabel = "NAME",
        arity = "0..1",
        defaultValue = "admin",
        description = "who or what the token is for (default: ${DEFAULT-VALUE})")
    String name;

    @Override
    public Integer call() throws Exception {
      if (name.isBlank()) {
        throw new UsageException("NAME must not be blank");
      }
      OperatorTokens.NewToken token;
      try (Database d = db.open(CliEnv.of(spec));
          Connection c = d.main().getConnection()) {
        token = new OperatorTokens().create(c, name);
      }
      return TokenOutput.created(
          spec, "operator token " + token.id() + " for " + name, token.secret());
    }
  }

  @Command(name = "revoke", mixinStandardHelpOptions = true, description = "Revoke token ID.")
  static final class Revoke implements Callable<Integer> {
    @Mixin DatabaseOptions db;
    @Spec CommandSpec spec;

    @Parameters(paramLabel = "ID", description = "the token id from `operators token list`")
    long id;

    @Override
    public Integer call() throws Exception {
      boolean revoked;
      try (Database d = db.open(CliEnv.of(spec));
          Connection c = d.main().getConnection()) {
        revoked = new OperatorTokens().revoke(c, id, Instant.now());
      }
      return TokenOutput.revoked(spec, "operator token", id, revoked);
    }
  }

  @Command(
      name = "list",
      mixinStandardHelpOptions = true,
      description = "List operator tokens (ids, names, dates; never the tokens).")
  static final class ListTokens implements Callable<Integer> {
    @Mixin DatabaseOptions db;
    @Spec CommandSpec spec;

    @Override
    public Integer call() throws Exception {
      List<OperatorTokens.TokenInfo> tokens;
      try (Database d = db.open(CliEnv.of(spec));
          Connection c = d.main().getConnection()) {
        tokens = new OperatorTokens().list(c);
      }
      Output.table(
          spec.commandLine().getOut(),
          List.of("ID", "NAME", "CREATED", "LAST_USED", "REVOKED"),
          tokens.stream()
              .map(
                  t ->
                      List.of(
                          String.valueOf(t.id()),
                          t.name(),
                          String.valueOf(t.createdAt()),
                          t.lastUsedAt() == null ? "-" : String.valueOf(t.lastUsedAt()),
                          t.revokedAt() == null ? "-" : String.valueOf(t.revokedAt())))
              .toList());
      return 0;
    }
  }
}

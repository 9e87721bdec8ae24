package dev.runway.cli.admin;

import com.fasterxml.jackson.databind.SerializationFeature;
import dev.runway.cli.Choices;
import dev.runway.cli.CliEnv;
import dev.runway.cli.DatabaseOptions;
import dev.runway.cli.Output;
import dev.runway.cli.UsageException;
import dev.runway.platform.db.Database;
import dev.runway.platform.http.Json;
import dev.runway.repos.RepositorySettings;
import dev.runway.repos.RepositoryShares;
import java.io.PrintWriter;
import java.sql.Connection;
import java.time.Clock;
import java.util.List;
import java.util.Locale;
import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Option;
import picocli.CommandLine.Parameters;
import picocli.CommandLine.Spec;

/** {@code runway repos set|unset|list}: fair share inside an account, by repository. */
@Command(
    name = "repos",
    mixinStandardHelpOptions = true,
    description =
        "Repository caps and weights. Inside an account, a claim goes to the repository with the"
            + " lowest share (its claimed and running jobs divided by its weight).",
    subcommands = {
      ReposCommand.ListRepos.class,
      ReposCommand.SetRepo.class,
      ReposCommand.UnsetRepo.class
    })
public final class ReposCommand {
  static String number(double d) {
    return d == Math.rint(d) ? String.valueOf((long) d) : String.valueOf(d);
  }

  static String name(String repository) {
    try {
      return RepositorySettings.checkName(repository);
    } catch (IllegalArgumentException e) {
      throw new UsageException(e.getMessage());
    }
  }

  @Command(
      name = "list",
      mixinStandardHelpOptions = true,
      description =
          "List repositories with settings or current jobs: settings, running, queued, share.")
  static final class ListRepos implements Callable<Integer> {
    @Mixin DatabaseOptions db;
    @Spec CommandSpec spec;

    @Option(names = "--account", description = "only this account's repositories (its login)")
    String account;

    @Option(
        names = "--format",
        defaultValue = "table",
        completionCandidates = Choices.TableOrJson.class,
        description = "table or json")
    String format;

    @Override
    public Integer call() throws Exception {
      String f = format.toLowerCase(Locale.ROOT);
      if (!f.equals("table") && !f.equals("json")) {
        throw new UsageException("--format must be table or json (got '" + format + "')");
      }
      List<RepositoryShares.Share> shares;
      try (Database d = db.open(CliEnv.of(spec));
          Connection c = d.main().getConnection()) {
        shares = new RepositoryShares().list(c, account);
      }
      PrintWriter out = spec.commandLine().getOut();
      if (f.equals("json")) {
        out.println(
            Json.mapper().enable(SerializationFeature.INDENT_OUTPUT).writeValueAsString(shares));
        out.flush();
        return 0;
      }
      Output.table(
          out,
          List.of(
              "REPOSITORY",
              "ACCOUNT",
              "MAX_CONCURRENT",
              "WEIGHT",
              "RUNNING",
              "QUEUED",
              "SHARE",
              "WAITING"),
          shares.stream()
              .map(
                  s ->
                      List.of(
                          s.repository(),
                          s.account(),
                          s.maxConcurrent() == null ? "-" : s.maxConcurrent().toString(),
                          number(s.weight()),
                          String.valueOf(s.running()),
                          String.valueOf(s.queued()),
                          String.format(Locale.ROOT, "%.2f", s.share()),
                          s.queued() == 0 ? "-" : s.atCap() ? "repository_cap" : "yes"))
              .toList());
      return 0;
    }
  }

  @Command(
      name = "set",
      mixinStandardHelpOptions = true,
      description =
          "Set a repository's cap and weight, replacing what it had: an option left out means no"
              + " cap of its own, weight 1.")
  static final class SetRepo implements Callable<Integer> {
    @Mixin DatabaseOptions db;
    @Spec CommandSpec spec;

    @Parameters(index = "0", paramLabel = "OWNER/REPO", description = "the repository")
    String repository;

    @Option(
        names = "--max-concurrent",
        paramLabel = "N",
        description = "its jobs claimed or running at once, across all pools (0 holds them all)")
    Integer maxConcurrent;

    @Option(
        names = "--weight",
        paramLabel = "W",
        defaultValue = "1",
        description = "its weight in the account's fair share, above 0 (default 1)")
    double weight;

    @Override
    public Integer call() throws Exception {
      String name = name(repository);
      if (maxConcurrent != null && maxConcurrent < 0) {
        throw new UsageException("--max-concurrent must be 0 or more");
      }
      if (!(weight > 0) || Double.isInfinite(weight)) {
        throw new UsageException("--weight must be a number above 0");
      }
      RepositorySettings.Setting s = new RepositorySettings.Setting(name, maxConcurrent, weight);
      try (Database d = db.open(CliEnv.of(spec));
          Connection c = d.main().getConnection()) {
        new RepositorySettings().set(c, s, Clock.systemUTC().instant());
      }
      spec.commandLine()
          .getOut()
          .println(
              name
                  + ": max-concurrent "
                  + (maxConcurrent == null ? "none" : maxConcurrent)
                  + ", weight "
                  + number(weight));
      spec.commandLine().getOut().flush();
      return 0;
    }
  }

  @Command(
      name = "unset",
      mixinStandardHelpOptions = true,
      description = "Remove a repository's settings: no cap of its own, weight 1.")
  static final class UnsetRepo implements Callable<Integer> {
    @Mixin DatabaseOptions db;
    @Spec CommandSpec spec;

    @Parameters(index = "0", paramLabel = "OWNER/REPO", description = "the repository")
    String repository;

    @Override
    public Integer call() throws Exception {
      String name = name(repository);
      boolean had;
      try (Database d = db.open(CliEnv.of(spec));
          Connection c = d.main().getConnection()) {
        had = new RepositorySettings().unset(c, name);
      }
      spec.commandLine()
          .getOut()
          .println(had ? name + ": settings removed" : name + ": had no settings");
      spec.commandLine().getOut().flush();
      return 0;
    }
  }
}

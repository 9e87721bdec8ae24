package dev.runway.cli.admin;

import dev.runway.accounts.Account;
import dev.runway.accounts.AccountRepository;
import dev.runway.cli.CliEnv;
import dev.runway.cli.DatabaseOptions;
import dev.runway.cli.Output;
import dev.runway.cli.UsageException;
import dev.runway.platform.db.Database;
import java.io.PrintWriter;
import java.sql.Connection;
import java.util.List;
import java.util.Map;
import java.util.concurrent.Callable;
import picocli.CommandLine.ArgGroup;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Option;
import picocli.CommandLine.Parameters;
import picocli.CommandLine.Spec;

/** {@code runway accounts list|set|disable}: who may run jobs, and how many at once. */
@Command(
    name = "accounts",
    mixinStandardHelpOptions = true,
    description = "Manage the accounts whose jobs Runway dispatches.",
    subcommands = {
      AccountsCommand.ListAccounts.class,
      AccountsCommand.SetAccount.class,
      AccountsCommand.DisableAccount.class
    })
public final class AccountsCommand {
  private static Map<String, String> env(CommandSpec spec) {
    return CliEnv.of(spec);
  }

  static void print(PrintWriter out, List<Account> accounts) {
    Output.table(
        out,
        List.of("LOGIN", "INSTALLATION", "ENABLED", "MAX_CONCURRENT", "SUSPENDED"),
        accounts.stream()
            .map(
                a ->
                    List.of(
                        a.login(),
                        a.installationId() == null ? "-" : a.installationId().toString(),
                        String.valueOf(a.runnersEnabled()),
                        String.valueOf(a.maxConcurrent()),
                        String.valueOf(a.installationSuspended())))
            .toList());
  }

  @Command(name = "list", mixinStandardHelpOptions = true, description = "List accounts.")
  static final class ListAccounts implements Callable<Integer> {
    @Mixin DatabaseOptions db;
    @Spec CommandSpec spec;

    @Override
    public Integer call() throws Exception {
      try (Database d = db.open(env(spec));
          Connection c = d.main().getConnection()) {
        print(spec.commandLine().getOut(), new AccountRepository().list(c));
      }
      return 0;
    }
  }

  @Command(
      name = "set",
      mixinStandardHelpOptions = true,
      description = "Create an account or change it. New accounts start disabled with a cap of 0.")
  static final class SetAccount implements Callable<Integer> {
    @Mixin DatabaseOptions db;
    @Spec CommandSpec spec;

    @Parameters(index = "0", description = "the GitHub organisation or user login")
    String login;

    @Option(names = "--installation-id", description = "the GitHub App installation id")
    Long installationId;

    @Option(
        names = "--max-concurrent",
        description = "jobs claimed or running at once, across all pools (0 disables runners)")
    Integer maxConcurrent;

    @ArgGroup(exclusive = true)
    Toggle toggle;

    static final class Toggle {
      @Option(names = "--enabled", description = "let the account's jobs run")
      boolean enabled;

      @Option(names = "--disabled", description = "stop dispatching the account's jobs")
      boolean disabled;
    }

    @Override
    public Integer call() throws Exception {
      if (maxConcurrent != null && maxConcurrent < 0) {
        throw new UsageException("--max-concurrent must be 0 or more");
      }
      Boolean enabled = toggle == null ? null : toggle.enabled;
      try (Database d = db.open(env(spec));
          Connection c = d.main().getConnection()) {
        Account a = new AccountRepository().set(c, login, installationId, maxConcurrent, enabled);
        print(spec.commandLine().getOut(), List.of(a));
      }
      return 0;
    }
  }

  @Command(
      name = "disable",
      mixinStandardHelpOptions = true,
      description = "Disable an account's runners.")
  static final class DisableAccount implements Callable<Integer> {
    @Mixin DatabaseOptions db;
    @Spec CommandSpec spec;

    @Parameters(index = "0", description = "the login")
    String login;

    @Override
    public Integer call() throws Exception {
      try (Database d = db.open(env(spec));
          Connection c = d.main().getConnection()) {
        AccountRepository repo = new AccountRepository();
        if (repo.byLogin(c, login).isEmpty()) {
          throw new IllegalStateException("no account " + login);
        }
        print(spec.commandLine().getOut(), List.of(repo.set(c, login, null, null, false)));
      }
      return 0;
    }
  }
}

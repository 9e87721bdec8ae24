package dev.runway;

import dev.runway.accounts.AccountsCommand;
import dev.runway.claims.PoolTokenCommand;
import dev.runway.cli.CliEnv;
import dev.runway.cli.MigrateCommand;
import dev.runway.cli.ServeCommand;
import dev.runway.deliveries.DeliveriesCommand;
import dev.runway.dispatch.RedispatchCommand;
import dev.runway.jobs.JobsCommand;
import dev.runway.operators.OperatorsCommand;
import dev.runway.pools.PoolsCommand;
import java.io.PrintWriter;
import java.util.Map;
import picocli.CommandLine;
import picocli.CommandLine.Command;

/** The {@code runway} command line: one executable jar, one subcommand per job. */
@Command(
    name = "runway",
    mixinStandardHelpOptions = true,
    version = "runway 0.1.0",
    description = "Dispatches GitHub Actions workflow_job webhooks to self-hosted runner pools.")
public final class Main implements Runnable, CliEnv.Holder {
  @CommandLine.Spec CommandLine.Model.CommandSpec spec;

  private final Map<String, String> env;

  private Main(Map<String, String> env) {
    this.env = env;
  }

  @Override
  public Map<String, String> env() {
    return env;
  }

  public static void main(String[] args) {
    System.exit(commandLine(System.getenv(), null, null).execute(args));
  }

  /**
   * Builds the command line. Usage errors exit 2, runtime errors 1; output and errors go to the
   * given writers (the console when null).
   */
  public static CommandLine commandLine(Map<String, String> env, PrintWriter out, PrintWriter err) {
    CommandLine cli =
        new CommandLine(new Main(env))
            .addSubcommand(new ServeCommand(env))
            .addSubcommand(new MigrateCommand(env))
            .addSubcommand(new AccountsCommand())
            .addSubcommand(new PoolsCommand())
            .addSubcommand(new JobsCommand())
            .addSubcommand(new DeliveriesCommand(env))
            .addSubcommand(new OperatorsCommand());
    // Commands owned by one feature but listed under another's name are attached here, so
    // neither feature package depends on the other.
    cli.getSubcommands().get("pools").addSubcommand(new PoolTokenCommand());
    cli.getSubcommands().get("jobs").addSubcommand(new RedispatchCommand());
    if (out != null) {
      cli.setOut(out);
    }
    if (err != null) {
      cli.setErr(err);
    }
    cli.setExecutionExceptionHandler(
        (e, cmd, parsed) -> {
          cmd.getErr().println(cmd.getCommandName() + ": " + e.getMessage());
          return 1;
        });
    return cli;
  }

  @Override
  public void run() {
    spec.commandLine().usage(spec.commandLine().getOut());
  }
}

package dev.runway;

import dev.runway.agent.AgentCommand;
import dev.runway.cli.CliEnv;
import dev.runway.cli.CompletionCommand;
import dev.runway.cli.ExitCodes;
import dev.runway.cli.VersionProvider;
import dev.runway.cli.admin.AccountsCommand;
import dev.runway.cli.admin.AuditCommand;
import dev.runway.cli.admin.JobsCommand;
import dev.runway.cli.admin.OperatorsCommand;
import dev.runway.cli.admin.PoolTokenCommand;
import dev.runway.cli.admin.PoolsCommand;
import dev.runway.cli.admin.RedispatchCommand;
import dev.runway.cli.admin.ReposCommand;
import dev.runway.cli.deliveries.DeliveriesCommand;
import dev.runway.cli.doctor.DoctorCommand;
import dev.runway.cli.githubapp.GitHubAppCommand;
import dev.runway.cli.service.MigrateCommand;
import dev.runway.cli.service.ServeCommand;
import dev.runway.platform.config.ConfigException;
import dev.runway.platform.config.ConfigFile;
import dev.runway.platform.config.RunwayConfig;
import java.io.PrintWriter;
import java.nio.file.Path;
import java.util.Map;
import picocli.CommandLine;
import picocli.CommandLine.Command;

/** The {@code runway} command line: one executable jar, one subcommand per job. */
@Command(
    name = "runway",
    mixinStandardHelpOptions = true,
    versionProvider = VersionProvider.class,
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
    // Set before the first logger exists (logback.xml reads it): only serve and agent (whose log
    // carries its runners' output) log at INFO, so an operator command's stderr holds nothing but
    // its errors.
    if (args.length == 0 || !(args[0].equals("serve") || args[0].equals("agent"))) {
      System.setProperty("runway.log.level", "WARN");
    }
    Map<String, String> env;
    try {
      env = ConfigFile.withFile(System.getenv(), Path.of(""));
    } catch (ConfigException e) {
      System.err.println("error: " + e.getMessage());
      System.exit(ExitCodes.USAGE);
      return;
    }
    // logback.xml reads the log format from a system property or the real environment; a format
    // written in the settings file is handed over as the property.
    if (env.containsKey(RunwayConfig.LOG_FORMAT)
        && System.getenv(RunwayConfig.LOG_FORMAT) == null) {
      System.setProperty(RunwayConfig.LOG_FORMAT, env.get(RunwayConfig.LOG_FORMAT));
    }
    System.exit(commandLine(env, null, null).execute(args));
  }

  /**
   * The one factory of the command line: every subcommand, the environment they read through {@link
   * CliEnv}, and the one error-to-exit-code mapping ({@link ExitCodes}: usage 2, runtime 1). Output
   * and errors go to the given writers (the console when null).
   */
  public static CommandLine commandLine(Map<String, String> env, PrintWriter out, PrintWriter err) {
    CommandLine cli =
        new CommandLine(new Main(env))
            .addSubcommand(new ServeCommand(Runway::start))
            .addSubcommand(new MigrateCommand())
            .addSubcommand(new AccountsCommand())
            .addSubcommand(new PoolsCommand())
            .addSubcommand(new JobsCommand())
            .addSubcommand(new DeliveriesCommand())
            .addSubcommand(new GitHubAppCommand())
            .addSubcommand(new DoctorCommand())
            .addSubcommand(new AuditCommand())
            .addSubcommand(new OperatorsCommand())
            .addSubcommand(new ReposCommand())
            .addSubcommand(new AgentCommand())
            .addSubcommand(new CompletionCommand());
    // Commands owned by one feature but listed under another's name are attached here, so
    // neither feature package depends on the other.
    cli.getSubcommands().get("pools").addSubcommand(new PoolTokenCommand());
    cli.getSubcommands().get("jobs").addSubcommand(new RedispatchCommand());
    return ExitCodes.install(cli, out, err);
  }

  @Override
  public void run() {
    spec.commandLine().usage(spec.commandLine().getOut());
  }
}

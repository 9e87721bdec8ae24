package dev.runway.deliveries;

import dev.runway.cli.UsageException;
import dev.runway.credentials.ClientFactory;
import dev.runway.credentials.CredentialsException;
import java.io.PrintWriter;
import java.time.Clock;
import java.util.Map;
import java.util.Objects;
import java.util.concurrent.Callable;
import java.util.function.BooleanSupplier;
import picocli.CommandLine;
import picocli.CommandLine.Command;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Spec;

/**
 * {@code runway deliveries}: inspects the GitHub App's webhook deliveries on GitHub's side and
 * redelivers failed ones.
 *
 * <p>Exit codes: 0 success, 1 API or runtime error, 2 usage error (missing credentials included).
 * Data goes to stdout and errors to stderr as one line, so output pipes into {@code jq}.
 *
 * <p>Standalone: {@code DeliveriesCommand.commandLine(System.getenv(), out, err).execute(args)}. As
 * a subcommand of the root {@code runway} command: {@code root.addSubcommand(new
 * DeliveriesCommand(env))} (or add the {@link CommandLine} from {@link #commandLine}). The
 * subcommands map their own errors to exit codes, so no handler is needed on the root.
 *
 * <p>The environment, the clock, the terminal check and the client factory are injected, so tests
 * can set them; nothing here reads {@code System.getenv} except the no-argument constructor picocli
 * may use.
 */
@Command(
    name = "deliveries",
    description = "Inspect and redeliver the GitHub App's webhook deliveries.",
    mixinStandardHelpOptions = true,
    subcommands = {
      ListCommand.class,
      HistogramCommand.class,
      ShowCommand.class,
      RedeliverCommand.class
    })
public final class DeliveriesCommand implements Callable<Integer> {

  private final Map<String, String> env;
  private Clock clock = Clock.systemUTC();
  private BooleanSupplier stderrIsTerminal = Terminal::stderrIsTerminal;
  private ClientFactory clientFactory = ClientFactory.standard();

  @Spec CommandSpec spec;

  /** Reads the process environment; for picocli's reflective instantiation. */
  public DeliveriesCommand() {
    this(System.getenv());
  }

  public DeliveriesCommand(Map<String, String> env) {
    this.env = Map.copyOf(Objects.requireNonNull(env, "env"));
  }

  /** The clock that relative times ({@code --since 2h}) and JWTs are computed from. */
  public DeliveriesCommand withClock(Clock clock) {
    this.clock = Objects.requireNonNull(clock, "clock");
    return this;
  }

  /** Decides whether progress lines go to stderr. */
  public DeliveriesCommand withStderrTerminal(BooleanSupplier stderrIsTerminal) {
    this.stderrIsTerminal = Objects.requireNonNull(stderrIsTerminal, "stderrIsTerminal");
    return this;
  }

  /** Builds the GitHub client from resolved credentials. */
  public DeliveriesCommand withClientFactory(ClientFactory clientFactory) {
    this.clientFactory = Objects.requireNonNull(clientFactory, "clientFactory");
    return this;
  }

  /** A standalone command line reading {@code env}, writing to {@code out} and {@code err}. */
  public static CommandLine commandLine(Map<String, String> env, PrintWriter out, PrintWriter err) {
    return commandLine(new DeliveriesCommand(env), out, err);
  }

  /** A standalone command line for a configured command. */
  public static CommandLine commandLine(
      DeliveriesCommand command, PrintWriter out, PrintWriter err) {
    CommandLine commandLine = new CommandLine(command);
    commandLine.setOut(out);
    commandLine.setErr(err);
    commandLine.setParameterExceptionHandler(DeliveriesCommand::usageError);
    commandLine.setExecutionExceptionHandler(
        (e, cl, parseResult) -> {
          cl.getErr().println("error: " + oneLine(e.getMessage()));
          cl.getErr().flush();
          return exitCode(e);
        });
    return commandLine;
  }

  /** Without a subcommand: the usage, and exit 2. */
  @Override
  public Integer call() {
    spec.commandLine().usage(spec.commandLine().getErr());
    return CommandLine.ExitCode.USAGE;
  }

  Map<String, String> env() {
    return env;
  }

  Clock clock() {
    return clock;
  }

  boolean stderrIsTerminal() {
    return stderrIsTerminal.getAsBoolean();
  }

  ClientFactory clientFactory() {
    return clientFactory;
  }

  static int exitCode(Exception e) {
    if (e instanceof CredentialsException || e instanceof UsageException) {
      return CommandLine.ExitCode.USAGE;
    }
    return CommandLine.ExitCode.SOFTWARE;
  }

  static String oneLine(String message) {
    return message == null ? "unexpected error" : message.replaceAll("\\s+", " ").trim();
  }

  private static int usageError(CommandLine.ParameterException e, String[] args) {
    CommandLine cl = e.getCommandLine();
    cl.getErr()
        .println(
            "error: "
                + oneLine(e.getMessage())
                + " (see '"
                + cl.getCommandSpec().qualifiedName()
                + " --help')");
    cl.getErr().flush();
    return CommandLine.ExitCode.USAGE;
  }
}

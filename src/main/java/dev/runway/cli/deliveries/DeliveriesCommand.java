package dev.runway.cli.deliveries;

import dev.runway.cli.CliEnv;
import dev.runway.cli.ExitCodes;
import dev.runway.cli.credentials.ClientFactory;
import java.time.Clock;
import java.util.Map;
import java.util.Objects;
import java.util.concurrent.Callable;
import java.util.function.BooleanSupplier;
import picocli.CommandLine.Command;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Spec;

/**
 * {@code runway deliveries}: inspects the GitHub App's webhook deliveries on GitHub's side and
 * redelivers failed ones.
 *
 * <p>Exit codes come from the one mapping of the {@code runway} command line ({@link
 * dev.runway.cli.ExitCodes}): 0 success, 1 API or runtime error, 2 usage error (missing credentials
 * included). Data goes to stdout and errors to stderr as one line, so output pipes into {@code jq}.
 *
 * <p>The environment comes from the root command ({@link CliEnv}). The clock, the terminal check
 * and the client factory can be replaced on the instance the root holds, so tests can set them.
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

  private Clock clock = Clock.systemUTC();
  private BooleanSupplier stderrIsTerminal = Terminal::stderrIsTerminal;
  private ClientFactory clientFactory = ClientFactory.standard();

  @Spec CommandSpec spec;

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

  /** Without a subcommand: the usage, and exit 2. */
  @Override
  public Integer call() {
    spec.commandLine().usage(spec.commandLine().getErr());
    return ExitCodes.USAGE;
  }

  Map<String, String> env() {
    return CliEnv.of(spec);
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
}

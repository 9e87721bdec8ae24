package dev.runway.bench;

import picocli.CommandLine;
import picocli.CommandLine.Command;

/**
 * Runway's benchmark tools. Not part of the service: built only with {@code mvn -Pbench} into
 * {@code target/runway-bench.jar}, which finds its libraries in {@code target/runway.jar}.
 */
@Command(
    name = "runway-bench",
    mixinStandardHelpOptions = true,
    subcommands = {
      LoadGenerator.class,
      LimitServer.class,
      DispatchWatch.class,
      AgentLatency.class,
      StoreCheck.class,
      SlowGitHub.class,
      ClaimFlood.class,
      ClaimLatency.class
    },
    description = "Load generator and reference receiver for Runway's benchmarks.")
public final class BenchMain implements Runnable {
  @Override
  public void run() {
    new CommandLine(this).usage(System.out);
  }

  public static void main(String[] args) {
    System.exit(new CommandLine(new BenchMain()).execute(args));
  }
}

package dev.runway.cli.admin;

import dev.runway.cli.Choices;
import dev.runway.cli.CliEnv;
import dev.runway.cli.UsageException;
import dev.runway.platform.config.RunwayConfig;
import dev.runway.pools.PoolSource;
import dev.runway.pools.PoolSources;
import dev.runway.pools.PoolView;
import dev.runway.pools.PoolsRendering;
import io.micrometer.core.instrument.simple.SimpleMeterRegistry;
import java.time.Clock;
import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Option;
import picocli.CommandLine.Spec;

/**
 * {@code runway pools list}: what the configured pool source serves right now; {@code runway pools
 * token ...}: the runner agents' bearer tokens.
 */
@Command(
    name = "pools",
    mixinStandardHelpOptions = true,
    description = "Inspect runner pools and manage their agents' tokens.",
    subcommands = {PoolsCommand.ListPools.class})
public final class PoolsCommand {

  @Command(
      name = "list",
      mixinStandardHelpOptions = true,
      description = "Print the pools that RUNWAY_POOLS (or --pools) serves.")
  static final class ListPools implements Callable<Integer> {
    @Spec CommandSpec spec;

    @Option(names = "--pools", description = "file:PATH or kubernetes:NAMESPACE (RUNWAY_POOLS)")
    String pools;

    @Option(
        names = "--format",
        defaultValue = "table",
        completionCandidates = Choices.TableOrJson.class,
        description = "table or json")
    String format;

    @Option(names = "--wait", defaultValue = "10s", description = "how long to wait for the source")
    String wait;

    @Override
    public Integer call() throws Exception {
      String source =
          pools != null
              ? pools
              : CliEnv.of(spec).getOrDefault(RunwayConfig.POOLS, "file:pools.yaml");
      java.time.Duration within;
      try {
        within = dev.runway.platform.config.Durations.parse(wait);
      } catch (RuntimeException e) {
        throw new UsageException("--wait: '" + wait + "' is not a duration such as 10s or 1m");
      }
      try (PoolSource s = PoolSources.fromConfig(source, new SimpleMeterRegistry())) {
        s.start();
        PoolView view = s.awaitAvailable(within);
        PoolsRendering r = new PoolsRendering(Clock.systemUTC());
        String text = format.equals("json") ? r.json(view) : r.table(view);
        // Output ends with a newline, so a shell prompt or a pipe does not glue onto it.
        spec.commandLine().getOut().print(text.endsWith("\n") ? text : text + "\n");
        spec.commandLine().getOut().flush();
        return view.fold(available -> 0, reason -> 1);
      }
    }
  }
}

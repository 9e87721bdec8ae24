package dev.runway.cli;

import dev.runway.Runway;
import dev.runway.config.ConfigException;
import dev.runway.config.RunwayConfig;
import java.time.Clock;
import java.util.Map;
import java.util.concurrent.Callable;
import java.util.concurrent.CountDownLatch;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Spec;

/** {@code runway serve}: runs the service until SIGTERM or SIGINT. */
@Command(
    name = "serve",
    mixinStandardHelpOptions = true,
    description = {
      "Run the service: webhook intake, dispatch queue, APIs and reconcilers.",
      "Configuration comes from RUNWAY_* variables; a flag overrides its variable.",
      "Webhook secrets are read only from RUNWAY_WEBHOOK_SECRETS (comma-separated)."
    })
public final class ServeCommand implements Callable<Integer> {
  @Mixin ConfigOptions options;
  @Spec CommandSpec spec;

  @Override
  public Integer call() throws Exception {
    Map<String, String> merged = options.merge(CliEnv.of(spec));
    if (options.logFormat != null) {
      // Read by logback.xml to pick the appender; set before the first logger is created.
      System.setProperty(RunwayConfig.LOG_FORMAT, options.logFormat);
    }
    RunwayConfig config;
    try {
      config = RunwayConfig.from(merged);
    } catch (ConfigException e) {
      throw new UsageException(e.getMessage());
    }
    Runway runway = Runway.start(config, Clock.systemUTC());
    CountDownLatch stopped = new CountDownLatch(1);
    Runtime.getRuntime()
        .addShutdownHook(
            new Thread(
                () -> {
                  runway.close();
                  stopped.countDown();
                },
                "shutdown"));
    stopped.await();
    return 0;
  }
}

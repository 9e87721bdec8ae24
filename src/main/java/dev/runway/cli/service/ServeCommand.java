package dev.runway.cli.service;

import static java.util.concurrent.TimeUnit.MILLISECONDS;

import dev.runway.cli.CliEnv;
import dev.runway.cli.ConfigOptions;
import dev.runway.cli.ExitCodes;
import dev.runway.cli.UsageException;
import dev.runway.platform.config.ConfigException;
import dev.runway.platform.config.RunwayConfig;
import java.time.Clock;
import java.util.Map;
import java.util.concurrent.Callable;
import java.util.concurrent.CountDownLatch;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Spec;
import sun.misc.Signal;

/** {@code runway serve}: runs the service until SIGTERM or SIGINT. */
@Command(
    name = "serve",
    mixinStandardHelpOptions = true,
    description = {
      "Run the service: webhook intake, dispatch queue, APIs and reconcilers.",
      "Stops in order on SIGTERM or SIGINT and exits 0.",
      "Configuration comes from RUNWAY_* variables; a flag overrides its variable.",
      "Webhook secrets are read only from RUNWAY_WEBHOOK_SECRETS (comma-separated)."
    })
public final class ServeCommand implements Callable<Integer> {
  /**
   * Starts the service and returns what stops it. Main passes {@code Runway::start}: the command
   * line is an edge and must not import the root that assembles the service.
   */
  @FunctionalInterface
  public interface Starter {
    AutoCloseable start(RunwayConfig config, Clock clock) throws Exception;
  }

  private final Starter starter;
  @Mixin ConfigOptions options;
  @Spec CommandSpec spec;

  public ServeCommand(Starter starter) {
    this.starter = starter;
  }

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
    AutoCloseable runway = starter.start(config, Clock.systemUTC());
    // SIGTERM and SIGINT are handled here rather than by the JVM's shutdown: the stop then runs
    // on this thread, in order, and the process exits 0 (a unit needs no SuccessExitStatus=143).
    CountDownLatch stopRequested = new CountDownLatch(1);
    CountDownLatch stopped = new CountDownLatch(1);
    for (String name : new String[] {"TERM", "INT"}) {
      Signal.handle(new Signal(name), s -> stopRequested.countDown());
    }
    // Any other way out of the JVM (SIGHUP, System.exit) still stops in order: the hook asks
    // this thread to stop and waits for it, so there is one stop, never two racing ones.
    Runtime.getRuntime()
        .addShutdownHook(
            new Thread(
                () -> {
                  stopRequested.countDown();
                  try {
                    stopped.await(config.shutdownGrace().multipliedBy(4).toMillis(), MILLISECONDS);
                  } catch (InterruptedException e) {
                    Thread.currentThread().interrupt();
                  }
                },
                "shutdown"));
    stopRequested.await();
    try {
      runway.close();
    } finally {
      stopped.countDown();
    }
    return ExitCodes.OK;
  }
}

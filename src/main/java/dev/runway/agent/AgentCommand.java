package dev.runway.agent;

import dev.runway.cli.UsageException;
import dev.runway.platform.config.Durations;
import java.io.IOException;
import java.net.URI;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Option;
import picocli.CommandLine.Spec;
import sun.misc.Signal;

/**
 * {@code runway agent}: runs Actions runners on this host for the jobs of one pool. The first
 * SIGTERM (or Ctrl-C) drains, the second stops at once.
 */
@Command(
    name = "agent",
    mixinStandardHelpOptions = true,
    description = {
      "Claim one pool's jobs and run the Actions runner (run.sh) for each.",
      "Each job gets a fresh copy of --runner-dir (or, with --launcher, a fresh machine);",
      "up to --slots run at once.",
      "SIGTERM: stop claiming, let running jobs finish within --drain-timeout, then kill them.",
      "A second SIGTERM stops at once. Exit code 1 when Runway refuses the token."
    })
public final class AgentCommand implements Callable<Integer> {
  @Spec CommandSpec spec;

  @Option(names = "--url", required = true, description = "Runway's base URL")
  URI url;

  @Option(names = "--pool", required = true, description = "the pool to claim jobs of")
  String pool;

  @Option(
      names = "--token-file",
      required = true,
      description = "file holding the pool's token (runway pools token create POOL)")
  Path tokenFile;

  @Option(
      names = "--runner-dir",
      description =
          "an unconfigured Actions runner (with run.sh), copied afresh for every job;"
              + " required unless --launcher is given")
  Path runnerDir;

  @Option(
      names = "--launcher",
      description =
          "an executable that makes a fresh machine for each job, runs the runner in it and"
              + " destroys it (docs/agent.md; examples in deploy/agent/launchers)")
  Path launcher;

  @Option(names = "--slots", defaultValue = "1", description = "runners at once (default 1)")
  int slots;

  @Option(
      names = "--work-root",
      defaultValue = "/var/lib/runway-agent",
      description = "where each job's runner directory is made (default ${DEFAULT-VALUE})")
  Path workRoot;

  @Option(names = "--job-timeout", defaultValue = "6h", description = "default ${DEFAULT-VALUE}")
  String jobTimeout;

  @Option(names = "--drain-timeout", defaultValue = "10m", description = "default ${DEFAULT-VALUE}")
  String drainTimeout;

  @Option(
      names = "--runner-arg",
      description = "an extra argument to run.sh, e.g. --runner-arg=--disableupdate; repeatable")
  List<String> runnerArgs = new ArrayList<>();

  @Option(
      names = "--start-backoff",
      defaultValue = "5s",
      hidden = true,
      description = "the wait after a first start that ended before a job; doubles up to 5m")
  String startBackoff;

  @Option(
      names = "--poll-wait",
      defaultValue = "30s",
      hidden = true,
      description = "how long one claim request waits for a job (at most 60s)")
  String pollWait;

  @Override
  public Integer call() throws Exception {
    AgentSettings settings;
    try {
      settings = settings();
    } catch (IllegalArgumentException e) {
      throw new UsageException(e.getMessage());
    }
    Agent agent = new Agent(settings);
    for (String name : new String[] {"TERM", "INT"}) {
      Signal.handle(new Signal(name), s -> agent.terminate());
    }
    return agent.start().await();
  }

  AgentSettings settings() throws IOException {
    if (runnerDir == null && launcher == null) {
      throw new IllegalArgumentException("give --runner-dir DIR, or --launcher PATH");
    }
    if (runnerDir != null && launcher != null) {
      throw new IllegalArgumentException(
          "give --runner-dir or --launcher, not both: the launcher brings its own runner");
    }
    if (runnerDir != null && !Files.isRegularFile(runnerDir.resolve("run.sh"))) {
      throw new IllegalArgumentException("--runner-dir " + runnerDir + " has no run.sh");
    }
    if (launcher != null && !Files.isExecutable(launcher)) {
      throw new IllegalArgumentException("--launcher " + launcher + " is not an executable file");
    }
    try {
      Files.createDirectories(workRoot);
    } catch (IOException e) {
      throw new IllegalArgumentException("--work-root " + workRoot + " cannot be created: " + e);
    }
    if (!Files.isWritable(workRoot)) {
      throw new IllegalArgumentException("--work-root " + workRoot + " is not writable");
    }
    String token;
    try {
      token = Files.readString(tokenFile, StandardCharsets.UTF_8).trim();
    } catch (IOException e) {
      // The message names the file, never its content.
      throw new IOException(
          "cannot read --token-file " + tokenFile + " (" + e.getClass().getSimpleName() + ")");
    }
    return new AgentSettings(
        url,
        pool,
        token,
        runnerDir == null ? null : runnerDir.toAbsolutePath(),
        slots,
        workRoot.toAbsolutePath(),
        duration("--job-timeout", jobTimeout),
        duration("--drain-timeout", drainTimeout),
        runnerArgs,
        duration("--poll-wait", pollWait),
        launcher == null ? null : launcher.toAbsolutePath(),
        duration("--start-backoff", startBackoff));
  }

  private static Duration duration(String option, String text) {
    try {
      return Durations.parse(text);
    } catch (IllegalArgumentException e) {
      throw new IllegalArgumentException(option + ": " + e.getMessage());
    }
  }
}

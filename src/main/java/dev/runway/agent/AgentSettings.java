package dev.runway.agent;

import dev.runway.platform.config.Durations;
import java.net.URI;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;

/**
 * What {@code runway agent} runs with, validated once.
 *
 * @param url Runway's base URL (the public listener)
 * @param pool the pool this agent claims jobs of
 * @param token the pool's bearer token; never logged, hidden from {@link #toString()}
 * @param runnerDir an unconfigured Actions runner (with {@code run.sh}), copied for every job; null
 *     with a launcher
 * @param launcher with {@code --launcher}, the executable that runs each job's runner in a fresh
 *     machine (docs/agent.md), else null
 * @param slots runners at most at once
 * @param workRoot where each job's runner directory is made
 * @param jobTimeout a runner's whole process tree is killed after this long
 * @param drainTimeout after SIGTERM, how long running jobs may go on
 * @param runnerArgs extra arguments to {@code run.sh}
 * @param pollWait how long one claim request waits for a job (long-poll)
 * @param startBackoff the wait after a first runner start that ended before a job; it doubles with
 *     each such start in a row, up to 5 minutes
 */
public record AgentSettings(
    URI url,
    String pool,
    String token,
    Path runnerDir,
    int slots,
    Path workRoot,
    Duration jobTimeout,
    Duration drainTimeout,
    List<String> runnerArgs,
    Duration pollWait,
    Path launcher,
    Duration startBackoff) {

  public AgentSettings {
    if (url == null || url.getScheme() == null || !url.getScheme().startsWith("http")) {
      throw new IllegalArgumentException("--url must be an http(s) URL");
    }
    if (pool == null || pool.isBlank()) {
      throw new IllegalArgumentException("--pool is required");
    }
    if (token == null || token.isBlank()) {
      throw new IllegalArgumentException("the token file is empty");
    }
    if (slots < 1 || slots > 256) {
      throw new IllegalArgumentException("--slots must be between 1 and 256");
    }
    if (jobTimeout.isNegative() || jobTimeout.isZero()) {
      throw new IllegalArgumentException("--job-timeout must be positive");
    }
    if (drainTimeout.isNegative()) {
      throw new IllegalArgumentException("--drain-timeout must not be negative");
    }
    if (pollWait.isNegative() || pollWait.compareTo(Duration.ofSeconds(60)) > 0) {
      throw new IllegalArgumentException("--poll-wait must be between 0 and 60s");
    }
    if ((runnerDir == null) == (launcher == null)) {
      throw new IllegalArgumentException("give --runner-dir or --launcher, exactly one of them");
    }
    if (startBackoff.isNegative() || startBackoff.isZero()) {
      throw new IllegalArgumentException("--start-backoff must be positive");
    }
    runnerArgs = List.copyOf(runnerArgs);
  }

  /** Without a launcher, with the default start backoff: run.sh in a copy of {@code runnerDir}. */
  public AgentSettings(
      URI url,
      String pool,
      String token,
      Path runnerDir,
      int slots,
      Path workRoot,
      Duration jobTimeout,
      Duration drainTimeout,
      List<String> runnerArgs,
      Duration pollWait) {
    this(
        url,
        pool,
        token,
        runnerDir,
        slots,
        workRoot,
        jobTimeout,
        drainTimeout,
        runnerArgs,
        pollWait,
        null,
        DEFAULT_START_BACKOFF);
  }

  /** The first wait after a start that ended before a job: 5s, 10s, 20s, ... 5m. */
  public static final Duration DEFAULT_START_BACKOFF = Duration.ofSeconds(5);

  @Override
  public String toString() {
    return "AgentSettings[url="
        + url
        + ", pool="
        + pool
        + ", token=<redacted>, "
        + (launcher == null ? "runnerDir=" + runnerDir : "launcher=" + launcher)
        + ", slots="
        + slots
        + ", workRoot="
        + workRoot
        + ", jobTimeout="
        + Durations.format(jobTimeout)
        + ", drainTimeout="
        + Durations.format(drainTimeout)
        + ", runnerArgs="
        + runnerArgs
        + ", pollWait="
        + Durations.format(pollWait)
        + ", startBackoff="
        + Durations.format(startBackoff)
        + "]";
  }
}

package dev.runway.agent;

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
 * @param runnerDir an unconfigured Actions runner (with {@code run.sh}), copied for every job
 * @param slots runners at most at once
 * @param workRoot where each job's runner directory is made
 * @param jobTimeout a runner's whole process tree is killed after this long
 * @param drainTimeout after SIGTERM, how long running jobs may go on
 * @param runnerArgs extra arguments to {@code run.sh}
 * @param pollWait how long one claim request waits for a job (long-poll)
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
    Duration pollWait) {

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
    runnerArgs = List.copyOf(runnerArgs);
  }

  @Override
  public String toString() {
    return "AgentSettings[url="
        + url
        + ", pool="
        + pool
        + ", token=<redacted>, runnerDir="
        + runnerDir
        + ", slots="
        + slots
        + ", workRoot="
        + workRoot
        + ", jobTimeout="
        + jobTimeout
        + ", drainTimeout="
        + drainTimeout
        + ", runnerArgs="
        + runnerArgs
        + ", pollWait="
        + pollWait
        + "]";
  }
}

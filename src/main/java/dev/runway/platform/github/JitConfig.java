package dev.runway.platform.github;

/**
 * A just-in-time runner registration. The encoded config lets whoever holds it register a runner
 * for the installation, so {@link #toString()} hides it; pass it to the runner and nowhere else.
 */
public record JitConfig(long runnerId, String runnerName, String encodedJitConfig) {
  @Override
  public String toString() {
    return "JitConfig[runnerId="
        + runnerId
        + ", runnerName="
        + runnerName
        + ", encodedJitConfig=<redacted>]";
  }
}

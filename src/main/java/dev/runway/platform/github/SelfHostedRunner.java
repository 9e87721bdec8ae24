package dev.runway.platform.github;

/** A self-hosted runner registration as GitHub lists it. */
public record SelfHostedRunner(long id, String name, String status, boolean busy) {
  public boolean offline() {
    return "offline".equalsIgnoreCase(status);
  }
}

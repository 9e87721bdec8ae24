package dev.runway.platform.github;

import io.micrometer.core.instrument.Gauge;
import io.micrometer.core.instrument.MeterRegistry;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.ConcurrentHashMap;

/**
 * GitHub's rate limits as a state: once GitHub answers 403 or 429 with {@code Retry-After} or with
 * {@code X-RateLimit-Remaining: 0}, the installation that got it (or the App, for calls made with
 * the JWT) is paused until the reset, and no request of it is sent. When the reset has passed, one
 * request goes out as the probe while the others are still refused; the probe's answer ends the
 * pause, or, if it is limited again, starts the next one. So a burst of 500 claims meets GitHub's
 * limit once, not 500 times, and does not hit it again all at once at the reset.
 *
 * <p>The call that met the limit holds the probe when it chose to wait out the reset itself (its
 * deadline allows the wait): its retry is then the probe. A holder that gives up hands the probe on
 * to whoever comes first after the reset.
 *
 * <p>Times are on the client's wall clock, because GitHub's reset is an epoch second.
 */
final class RateLimitPauses {
  /** The key of calls made with the App's JWT. */
  static final String APP = "app";

  private record Pause(Instant until, boolean probing) {}

  private final Map<String, Pause> pauses = new ConcurrentHashMap<>();
  private final Map<String, Boolean> gauges = new ConcurrentHashMap<>();
  private final Clock clock;
  private final MeterRegistry registry;

  RateLimitPauses(Clock clock, MeterRegistry registry) {
    this.clock = clock;
    this.registry = registry;
  }

  /** The key of an installation's calls. */
  static String installation(long installationId) {
    return Long.toString(installationId);
  }

  /**
   * Whether an attempt of {@code key} may be sent now.
   *
   * @param holdsProbe the call already holds the probe (it met the limit and waited it out)
   * @return true when this attempt is the probe, whose answer ends or renews the pause
   * @throws GitHubPausedException when it may not be sent
   */
  boolean admit(String key, boolean holdsProbe, String method, String path) {
    Pause p = pauses.get(key);
    if (p == null) {
      return false;
    }
    if (holdsProbe) {
      return true;
    }
    Instant now = clock.instant();
    if (now.isBefore(p.until())) {
      throw paused(key, method, path, p.until(), retryAfter(now, p.until()));
    }
    if (!p.probing() && pauses.replace(key, p, new Pause(p.until(), true))) {
      return true;
    }
    // The probe is on its way; its answer comes within one request timeout at most.
    throw paused(key, method, path, p.until(), 1);
  }

  /**
   * GitHub said {@code key} is limited until {@code until}.
   *
   * @param wantsProbe the caller would wait and retry itself, as the probe
   * @param holdsProbe the caller already holds the probe (its probe was limited again)
   * @return whether the caller holds the probe now; at most one caller does
   */
  boolean pause(String key, Instant until, boolean wantsProbe, boolean holdsProbe) {
    boolean[] granted = {false};
    pauses.compute(
        key,
        (k, old) -> {
          boolean taken = old != null && old.probing() && !holdsProbe;
          granted[0] = wantsProbe && !taken;
          Instant end = old == null ? until : later(old.until(), until);
          return new Pause(end, taken || granted[0]);
        });
    gauges.computeIfAbsent(key, this::register);
    return granted[0];
  }

  /** The probe got an answer that is not a rate limit: the pause is over. */
  void resume(String key) {
    pauses.remove(key);
  }

  /** The probe's holder gives up without an answer: the next caller past the reset probes. */
  void abandonProbe(String key) {
    pauses.computeIfPresent(key, (k, p) -> p.probing() ? new Pause(p.until(), false) : p);
  }

  /**
   * Until when {@code key} is paused: the reset GitHub named, or a moment from now while a probe
   * past the reset is still out. Empty when it is not paused.
   */
  Optional<Instant> pausedUntil(String key) {
    Pause p = pauses.get(key);
    if (p == null) {
      return Optional.empty();
    }
    Instant now = clock.instant();
    return Optional.of(p.until().isAfter(now) ? p.until() : now.plusSeconds(1));
  }

  private Boolean register(String key) {
    Gauge.builder("runway.github.paused", this, self -> self.pauses.containsKey(key) ? 1 : 0)
        .description(
            "1 while GitHub's rate limit pauses this installation's calls (app: the JWT's)")
        .tag("installation", key)
        .strongReference(true)
        .register(registry);
    return Boolean.TRUE;
  }

  private static long retryAfter(Instant now, Instant until) {
    long millis = Duration.between(now, until).toMillis();
    return Math.max(1, (millis + 999) / 1000);
  }

  private static Instant later(Instant a, Instant b) {
    return a.isAfter(b) ? a : b;
  }

  private static GitHubPausedException paused(
      String key, String method, String path, Instant until, long retryAfter) {
    return new GitHubPausedException(
        "GitHub rate limit: "
            + (APP.equals(key) ? "the App's calls are" : "installation " + key + " is")
            + " paused until "
            + until
            + "; "
            + method
            + " "
            + path
            + " not sent (retry after "
            + retryAfter
            + " s)",
        method,
        path,
        until,
        retryAfter);
  }
}

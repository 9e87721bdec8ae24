package dev.runway.platform.github;

import io.micrometer.core.instrument.Counter;
import io.micrometer.core.instrument.Gauge;
import io.micrometer.core.instrument.MeterRegistry;
import java.util.concurrent.Semaphore;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;

/**
 * The process's cap on GitHub requests in flight, shared by every caller of one {@link
 * GitHubClient} (claims, the provisioner, the reconcilers, doctor). A slot is held for one HTTP
 * exchange only, never across a backoff or a rate-limit wait, so a sleeping retry does not keep
 * others out. Callers queue in arrival order (a fair semaphore) for at most their own remaining
 * deadline; past it they get {@link GitHubBusyException} without sending anything.
 *
 * <p>Why a cap at all: GitHub allows about 100 concurrent requests per App, and a slow GitHub would
 * otherwise turn every claim into one more open request, each held for its whole deadline.
 */
final class ConcurrencyLimit {
  private final int limit;
  private final Semaphore slots;
  private final AtomicInteger waiting = new AtomicInteger();
  private final Counter busy;

  ConcurrencyLimit(int limit, MeterRegistry registry) {
    if (limit < 1) {
      throw new IllegalArgumentException("the GitHub concurrency limit must be at least 1");
    }
    this.limit = limit;
    this.slots = new Semaphore(limit, true);
    Gauge.builder("runway.github.requests.in.flight", this, ConcurrencyLimit::inFlight)
        .description("GitHub requests in flight, against RUNWAY_GITHUB_MAX_CONCURRENCY")
        .register(registry);
    Gauge.builder("runway.github.requests.waiting", waiting, AtomicInteger::get)
        .description("GitHub requests waiting for one of the process's request slots")
        .register(registry);
    this.busy =
        Counter.builder("runway.github.busy")
            .description("GitHub requests not sent: no slot freed before the caller's deadline")
            .register(registry);
  }

  /**
   * Takes a slot, waiting at most {@code timeoutNanos}.
   *
   * @return false when none freed in time (counted in {@code runway_github_busy_total})
   */
  boolean acquire(long timeoutNanos) throws InterruptedException {
    if (slots.tryAcquire()) {
      return true;
    }
    waiting.incrementAndGet();
    try {
      if (timeoutNanos > 0 && slots.tryAcquire(timeoutNanos, TimeUnit.NANOSECONDS)) {
        return true;
      }
    } finally {
      waiting.decrementAndGet();
    }
    busy.increment();
    return false;
  }

  void release() {
    slots.release();
  }

  int limit() {
    return limit;
  }

  int inFlight() {
    return limit - slots.availablePermits();
  }

  int waiting() {
    return waiting.get();
  }
}

package dev.runway.platform.telemetry;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import io.micrometer.core.instrument.simple.SimpleMeterRegistry;
import java.sql.SQLException;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.time.ZoneId;
import java.time.ZoneOffset;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicReference;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

class PollerTest {
  private final SimpleMeterRegistry registry = new SimpleMeterRegistry();
  private final Moving clock = new Moving(Instant.parse("2026-12-02T20:00:00Z"));
  private final Poller poller = new Poller(Duration.ofMillis(10), registry, clock);

  @AfterEach
  void close() {
    poller.close();
  }

  @Test
  void a_gauge_whose_source_fails_keeps_its_value_and_says_how_old_it_is() {
    AtomicBoolean down = new AtomicBoolean();
    AtomicInteger runs = new AtomicInteger();
    AtomicInteger value = new AtomicInteger();
    poller.every(
        "runway_jobs",
        () -> {
          runs.incrementAndGet();
          if (down.get()) {
            throw new SQLException("connection refused");
          }
          value.set(7);
        });
    await().until(() -> value.get() == 7);
    assertThat(age()).isZero();

    down.set(true);
    int before = runs.get();
    clock.advance(Duration.ofSeconds(30));
    await().until(() -> runs.get() > before + 1);

    assertThat(value.get()).as("the last value stays").isEqualTo(7);
    assertThat(age()).isEqualTo(30.0);

    down.set(false);
    await().until(() -> age() == 0);
  }

  @Test
  void a_source_that_never_answered_ages_from_the_start() {
    AtomicInteger runs = new AtomicInteger();
    poller.every(
        "runway_queue_depth",
        () -> {
          runs.incrementAndGet();
          throw new SQLException("no database yet");
        });
    await().until(() -> runs.get() >= 2);
    clock.advance(Duration.ofSeconds(12));
    assertThat(
            registry
                .get("runway.gauge.age.seconds")
                .tag("gauge", "runway_queue_depth")
                .gauge()
                .value())
        .isEqualTo(12.0);
  }

  @Test
  void close_removes_the_age_gauges() {
    poller.every("runway_jobs", () -> {});
    poller.close();
    assertThat(registry.find("runway.gauge.age.seconds").gauges()).isEmpty();
  }

  private double age() {
    return registry.get("runway.gauge.age.seconds").tag("gauge", "runway_jobs").gauge().value();
  }

  /** A clock the test moves; read from the poller's thread. */
  static final class Moving extends Clock {
    private final AtomicReference<Instant> now;

    Moving(Instant start) {
      now = new AtomicReference<>(start);
    }

    void advance(Duration d) {
      now.updateAndGet(i -> i.plus(d));
    }

    @Override
    public Instant instant() {
      return now.get();
    }

    @Override
    public ZoneId getZone() {
      return ZoneOffset.UTC;
    }

    @Override
    public Clock withZone(ZoneId zone) {
      return this;
    }
  }
}

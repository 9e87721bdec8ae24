package dev.runway.platform.github;

import java.time.Duration;
import java.util.List;
import java.util.concurrent.CopyOnWriteArrayList;

/**
 * A {@link Sleeper} that returns at once and records each wait; when given a clock, it moves the
 * clock forward by the wait, as if the time had passed.
 */
public final class RecordingSleeper implements Sleeper {

  private final List<Duration> waits = new CopyOnWriteArrayList<>();
  private final MutableClock clock;

  public RecordingSleeper() {
    this(null);
  }

  public RecordingSleeper(MutableClock clock) {
    this.clock = clock;
  }

  @Override
  public void sleep(Duration duration) {
    waits.add(duration);
    if (clock != null) {
      clock.advance(duration);
    }
  }

  public List<Duration> waits() {
    return List.copyOf(waits);
  }
}

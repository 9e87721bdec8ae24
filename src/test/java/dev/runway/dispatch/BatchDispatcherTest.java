package dev.runway.dispatch;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import java.time.Duration;
import java.util.concurrent.Semaphore;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.function.IntSupplier;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

class BatchDispatcherTest {
  private static final int MAX = 100;
  private static final Duration NO_POLL = Duration.ofHours(1);

  /** A queue stand-in whose batches block until the test lets them end. */
  private static final class Gate implements BatchDispatcher.Batches {
    final AtomicInteger calls = new AtomicInteger();
    final AtomicInteger inFlight = new AtomicInteger();
    final AtomicInteger maxInFlight = new AtomicInteger();
    final Semaphore ends = new Semaphore(0);
    volatile IntSupplier taken = () -> 0;
    volatile boolean blocking;

    @Override
    public int dispatchBatch(int max) {
      calls.incrementAndGet();
      maxInFlight.accumulateAndGet(inFlight.incrementAndGet(), Math::max);
      try {
        if (blocking) {
          ends.acquireUninterruptibly();
        }
        return taken.getAsInt();
      } finally {
        inFlight.decrementAndGet();
      }
    }
  }

  private final Gate gate = new Gate();
  private BatchDispatcher dispatcher;

  @AfterEach
  void stop() {
    gate.blocking = false;
    gate.ends.release(1000);
    dispatcher.close();
  }

  @Test
  void a_wake_starts_a_batch_without_waiting_for_the_poll() {
    dispatcher = new BatchDispatcher(gate, MAX, NO_POLL).start(2);
    // Each thread looks once at start; after that the hour-long poll is all there is.
    await().until(() -> gate.calls.get() == 2 && gate.inFlight.get() == 0);
    int before = gate.calls.get();

    dispatcher.wake();

    await().until(() -> gate.calls.get() == before + 1);
  }

  @Test
  void work_committed_during_a_small_batch_waits_for_it_and_goes_into_the_next() {
    dispatcher = new BatchDispatcher(gate, MAX, NO_POLL).start(4);
    await().until(() -> gate.calls.get() == 4 && gate.inFlight.get() == 0);
    gate.maxInFlight.set(0);
    gate.blocking = true;
    gate.taken = () -> 3; // a small batch: no backlog
    dispatcher.wake();
    await().until(() -> gate.inFlight.get() == 1);

    for (int i = 0; i < 50; i++) {
      dispatcher.wake(); // commits while the batch is in flight
    }

    // Three idle threads, fifty wakes, and still one batch in flight.
    await().during(Duration.ofMillis(300)).until(() -> gate.inFlight.get() == 1);
    int calls = gate.calls.get();
    gate.taken = () -> 0;
    gate.ends.release();
    // The pending wakes are served by one more batch, not lost.
    await().until(() -> gate.calls.get() == calls + 1);
    gate.ends.release();
    await().until(() -> gate.inFlight.get() == 0);
    assertThat(gate.maxInFlight.get()).isEqualTo(1);
  }

  @Test
  void a_full_batch_lets_the_other_threads_join_in() {
    dispatcher = new BatchDispatcher(gate, MAX, NO_POLL).start(3);
    await().until(() -> gate.calls.get() == 3 && gate.inFlight.get() == 0);
    gate.maxInFlight.set(0);
    AtomicInteger left = new AtomicInteger(5);
    gate.taken = () -> left.getAndDecrement() > 0 ? MAX : 0;
    gate.blocking = true;
    dispatcher.wake();
    await().until(() -> gate.inFlight.get() == 1);
    gate.ends.release(); // the first batch comes back full: a backlog

    await().until(() -> gate.inFlight.get() == 3);
    gate.blocking = false;
    gate.ends.release(1000);
    await().until(() -> left.get() < 0 && gate.inFlight.get() == 0);
    assertThat(gate.maxInFlight.get()).isEqualTo(3);
  }

  @Test
  void the_poll_dispatches_when_no_wake_comes() {
    dispatcher = new BatchDispatcher(gate, MAX, Duration.ofMillis(50)).start(1);
    await().until(() -> gate.calls.get() >= 3);
  }
}

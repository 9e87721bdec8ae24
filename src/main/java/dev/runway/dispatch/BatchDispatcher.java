package dev.runway.dispatch;

import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.locks.Condition;
import java.util.concurrent.locks.ReentrantLock;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Threads that dispatch the queue in batches ({@link DispatchWorker#dispatchBatch}) as soon as they
 * are woken, and at least every poll interval. db-scheduler still runs next to them: it takes the
 * tasks whose batch failed and retries each on its own with backoff.
 *
 * <p>A wake is never lost and never queued up: it sets a flag that the next wait consumes, so a
 * thousand commits during one batch cost one more batch, not a thousand.
 */
public final class BatchDispatcher implements AutoCloseable {
  private static final Logger log = LoggerFactory.getLogger(BatchDispatcher.class);
  private static final Duration MAX_BACKOFF = Duration.ofSeconds(5);

  private final DispatchWorker worker;
  private final int maxBatch;
  private final Duration pollInterval;
  private final ReentrantLock lock = new ReentrantLock();
  private final Condition woken = lock.newCondition();
  private final List<Thread> threads = new ArrayList<>();
  private boolean pending;
  private volatile boolean running = true;

  BatchDispatcher(DispatchWorker worker, int maxBatch, Duration pollInterval) {
    this.worker = worker;
    this.maxBatch = maxBatch;
    this.pollInterval = pollInterval;
  }

  /** Starts {@code n} dispatching threads. */
  public BatchDispatcher start(int n) {
    for (int i = 0; i < n; i++) {
      Thread t = new Thread(this::run, "dispatch-batch-" + i);
      t.setDaemon(true);
      threads.add(t);
      t.start();
    }
    return this;
  }

  /** New tasks may be due: dispatch them now rather than at the next poll. Never blocks long. */
  public void wake() {
    lock.lock();
    try {
      pending = true;
      woken.signal();
    } finally {
      lock.unlock();
    }
  }

  private void run() {
    Duration backoff = Duration.ofMillis(100);
    while (running) {
      int taken;
      try {
        taken = worker.dispatchBatch(maxBatch);
        backoff = Duration.ofMillis(100);
      } catch (DispatchRetry e) {
        log.warn("dispatch batch will be retried: {}", e.getMessage());
        pause(backoff);
        backoff =
            backoff.multipliedBy(2).compareTo(MAX_BACKOFF) > 0
                ? MAX_BACKOFF
                : backoff.multipliedBy(2);
        continue;
      } catch (RuntimeException e) {
        log.error("dispatch batch failed; continuing", e);
        pause(backoff);
        continue;
      }
      if (taken == 0) {
        awaitWake(pollInterval);
      } else {
        // More may be due; a wake that came meanwhile is served by this next batch.
        clearWake();
      }
    }
  }

  private void awaitWake(Duration max) {
    lock.lock();
    try {
      long nanos = max.toNanos();
      while (!pending && running && nanos > 0) {
        nanos = woken.awaitNanos(nanos);
      }
      pending = false;
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      running = false;
    } finally {
      lock.unlock();
    }
  }

  private void clearWake() {
    lock.lock();
    try {
      pending = false;
    } finally {
      lock.unlock();
    }
  }

  /** Waits out a failure's backoff; a wake does not end it, the failed cause is still there. */
  private void pause(Duration d) {
    try {
      TimeUnit.MILLISECONDS.sleep(d.toMillis());
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      running = false;
    }
  }

  /** Stops the threads, letting a batch in progress commit or roll back (at most 10 s). */
  @Override
  public void close() {
    running = false;
    wake();
    for (Thread t : threads) {
      try {
        t.join(Duration.ofSeconds(10).toMillis());
      } catch (InterruptedException e) {
        Thread.currentThread().interrupt();
        return;
      }
    }
  }
}

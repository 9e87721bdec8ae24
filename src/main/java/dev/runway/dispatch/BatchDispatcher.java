package dev.runway.dispatch;

import dev.runway.platform.retry.Backoff;
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
 * <p>A wake is never lost and never queued up: it sets a flag that the next batch consumes, so a
 * thousand commits during one batch cost one more batch, not a thousand.
 *
 * <p>Batches form as commits do in a group commit: while one batch is in flight, what is committed
 * meanwhile waits for the next, and a second thread joins only when a batch comes back full (a
 * backlog). Letting every thread start on every wake made batches of one or two deliveries under a
 * steady stream, each paying a whole transaction, its queue scan and its flush: PostgreSQL spent
 * more on that than on the deliveries (docs/benchmarks.md, "dispatch batches").
 */
public final class BatchDispatcher implements AutoCloseable {
  private static final Logger log = LoggerFactory.getLogger(BatchDispatcher.class);
  private static final Backoff RETRY = new Backoff(Duration.ofMillis(100), Duration.ofSeconds(5));

  /** Dispatches at most {@code max} due tasks in one transaction; answers how many it took. */
  @FunctionalInterface
  interface Batches {
    int dispatchBatch(int max);
  }

  private final Batches worker;
  private final int maxBatch;
  private final Duration pollInterval;
  private final ReentrantLock lock = new ReentrantLock();
  private final Condition changed = lock.newCondition();
  private final List<Thread> threads = new ArrayList<>();

  // Guarded by lock.
  private boolean pending;
  private int inFlight;
  private boolean backlog;

  private volatile boolean running = true;

  BatchDispatcher(Batches worker, int maxBatch, Duration pollInterval) {
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
      changed.signal();
    } finally {
      lock.unlock();
    }
  }

  private void run() {
    Duration backoff = RETRY.first();
    long nextPoll = System.nanoTime();
    while (running) {
      if (!enter(nextPoll)) {
        return;
      }
      int taken = 0;
      try {
        taken = worker.dispatchBatch(maxBatch);
        backoff = RETRY.first();
      } catch (DispatchRetry e) {
        log.warn("dispatch batch will be retried: {}", e.getMessage());
        leave(0);
        pause(backoff);
        backoff = RETRY.after(backoff);
        nextPoll = System.nanoTime(); // try again once the backoff is over
        continue;
      } catch (RuntimeException e) {
        log.error("dispatch batch failed; continuing", e);
        leave(0);
        pause(backoff);
        nextPoll = System.nanoTime();
        continue;
      }
      leave(taken);
      nextPoll = System.nanoTime() + pollInterval.toNanos();
    }
  }

  /**
   * Waits until this thread may start a batch: something is due (a wake, a backlog, or its poll
   * time came), and no batch is in flight unless the last one was full.
   *
   * @return false when the dispatcher stopped
   */
  private boolean enter(long nextPoll) {
    lock.lock();
    try {
      while (running) {
        long untilPoll = nextPoll - System.nanoTime();
        boolean mayStart = inFlight == 0 || backlog;
        if (mayStart && (pending || backlog || untilPoll <= 0)) {
          pending = false;
          inFlight++;
          return true;
        }
        // Not allowed to start yet: whoever is in flight takes the pending work when it ends.
        if (!mayStart || untilPoll <= 0) {
          changed.await();
        } else {
          changed.awaitNanos(untilPoll);
        }
      }
      return false;
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      running = false;
      return false;
    } finally {
      lock.unlock();
    }
  }

  /** Ends a batch that took {@code taken} tasks; a batch that took any means more may be due. */
  private void leave(int taken) {
    lock.lock();
    try {
      inFlight--;
      backlog = taken >= maxBatch;
      if (taken > 0) {
        pending = true;
      }
      changed.signalAll();
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
    lock.lock();
    try {
      changed.signalAll();
    } finally {
      lock.unlock();
    }
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

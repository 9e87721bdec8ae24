package dev.runway.claims;

import dev.runway.platform.db.Signals;
import java.sql.Connection;
import java.sql.SQLException;
import java.util.Map;
import java.util.Optional;
import java.util.Queue;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ConcurrentLinkedQueue;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.ScheduledFuture;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;

/**
 * The claimers waiting in long-poll, by pool, and what wakes them.
 *
 * <p>A signal for a pool ({@link #TOPIC}{@code :<pool>} on {@link Signals}) wakes one waiter of
 * that pool; a waiter that then claims a job wakes the next one ({@link LongPollClaims}), so a
 * batch of new jobs drains waiter by waiter without waking every waiter for every job. A waiter
 * holds no database connection and no thread while it waits: it is a future and a queue entry.
 *
 * <p>The number of waiters is bounded; {@link #register} refuses past the bound.
 */
public final class PoolWakeups {
  /** The {@link Signals} topic whose key is a pool that may have a claimable job. */
  public static final String TOPIC = "claimable";

  private final int maxWaiters;
  private final AtomicInteger waiters = new AtomicInteger();
  private final Map<String, Queue<Waiter>> byPool = new ConcurrentHashMap<>();

  public PoolWakeups(int maxWaiters) {
    if (maxWaiters < 1) {
      throw new IllegalArgumentException("maxWaiters must be positive");
    }
    this.maxWaiters = maxWaiters;
  }

  /**
   * Announces, when {@code c}'s transaction commits, that {@code pool} may have a claimable job: to
   * this replica and every other one.
   */
  public static void notifyClaimable(Connection c, String pool) throws SQLException {
    Signals.notify(c, TOPIC, pool);
  }

  /** Subscribes to {@code signals}, so that a signal for a pool wakes one of its waiters. */
  public void listen(Signals signals) {
    signals.subscribe(TOPIC, this::wake);
  }

  /** Wakes one waiter of {@code pool}, or one of every pool for {@link Signals#ANY}. */
  public void wake(String pool) {
    if (Signals.ANY.equals(pool)) {
      byPool.keySet().forEach(this::wakeOne);
    } else {
      wakeOne(pool);
    }
  }

  /** Wakes one waiter of each pool that has any: the periodic re-check for lost signals. */
  public void recheck() {
    wake(Signals.ANY);
  }

  private void wakeOne(String pool) {
    Queue<Waiter> q = byPool.get(pool);
    if (q == null) {
      return;
    }
    Waiter w;
    while ((w = q.poll()) != null) {
      if (w.wake()) {
        return;
      }
    }
  }

  /** Waiters now, for the bound and for tests. */
  public int waiting() {
    return waiters.get();
  }

  /** A new waiter of {@code pool}, or empty when {@code maxWaiters} already wait. */
  Optional<Waiter> register(String pool, long deadlineNanos, ScheduledExecutorService timer) {
    if (waiters.incrementAndGet() > maxWaiters) {
      waiters.decrementAndGet();
      return Optional.empty();
    }
    Waiter w = new Waiter(byPool.computeIfAbsent(pool, p -> new ConcurrentLinkedQueue<>()));
    long delay = Math.max(0, deadlineNanos - System.nanoTime());
    w.timeout = timer.schedule(w::expire, delay, TimeUnit.NANOSECONDS);
    return Optional.of(w);
  }

  /** Ends every wait now, as at a stop: each waiter's next signal says "expired". */
  void expireAll() {
    byPool.values().forEach(q -> q.forEach(Waiter::expire));
  }

  /**
   * One long-polling request. Its signal is a future that completes with {@code true} when a wake
   * reaches it and {@code false} when its deadline passes; {@link #arm()} replaces a completed one,
   * so a wake that arrives while the waiter is busy claiming is not lost: the waiter sees it done
   * and tries again at once.
   */
  final class Waiter {
    private final Queue<Waiter> queue;
    private CompletableFuture<Boolean> signal = new CompletableFuture<>();
    private boolean queued;
    private boolean expired;
    private boolean finished;
    private volatile ScheduledFuture<?> timeout;

    private Waiter(Queue<Waiter> queue) {
      this.queue = queue;
    }

    /** The signal to wait for after the next attempt, queued to receive a wake. */
    synchronized CompletableFuture<Boolean> arm() {
      if (signal.isDone() && !expired) {
        signal = new CompletableFuture<>();
      }
      if (!queued && !finished) {
        queued = true;
        queue.offer(this);
      }
      return signal;
    }

    /** Called by whoever took it off the queue; whether the wake reached a live waiter. */
    private synchronized boolean wake() {
      queued = false;
      if (finished || signal.isDone()) {
        return false;
      }
      signal.complete(Boolean.TRUE);
      return true;
    }

    synchronized void expire() {
      expired = true;
      signal.complete(Boolean.FALSE);
    }

    synchronized boolean expired() {
      return expired;
    }

    /** Leaves the wait; a queued entry is dropped when a wake reaches it. */
    synchronized void finish() {
      if (!finished) {
        finished = true;
        expired = true;
        signal.complete(Boolean.FALSE);
        waiters.decrementAndGet();
        ScheduledFuture<?> t = timeout;
        if (t != null) {
          t.cancel(false);
        }
        if (queued) {
          queued = false;
          queue.remove(this);
        }
      }
    }
  }
}

package dev.runway.provisioner;

import dev.runway.claims.PoolWakeups;
import dev.runway.platform.db.Signals;
import java.time.Duration;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.Executors;
import java.util.concurrent.RejectedExecutionException;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The loop a launcher leads in: one thread, a cycle every interval and one soon after a trigger
 * (many triggers while one is pending make one cycle), and the pools a {@code claimable} signal
 * named since their last launch. Shared by the Kubernetes {@link Provisioner} and the provider
 * pools' launcher, which differ in their cycles and in how they hold their leader lock, so the lock
 * stays with them.
 *
 * <p>Everything a cycle keeps between cycles is confined to this thread; a cycle that throws is
 * logged and the next one starts from the caches again, so no failure ends the schedule.
 */
public final class LeaderLoop implements AutoCloseable {
  private static final Logger log = LoggerFactory.getLogger(LeaderLoop.class);

  private final String what;
  private final Runnable cycle;
  private final ScheduledExecutorService thread;
  private final AtomicBoolean pending = new AtomicBoolean();

  /** Pools with a {@code claimable} signal since their last claim attempt. */
  private final Set<String> signalled = ConcurrentHashMap.newKeySet();

  /** A signal for every pool: the first cycle, and every (re)connect of the signals' listener. */
  private volatile boolean signalledAll = true;

  /**
   * @param threadName the loop's thread
   * @param what the cycle's name in its failure's log line
   */
  public LeaderLoop(String threadName, String what, Runnable cycle) {
    this.what = what;
    this.cycle = cycle;
    this.thread =
        Executors.newSingleThreadScheduledExecutor(
            r -> {
              Thread t = new Thread(r, threadName);
              t.setDaemon(true);
              return t;
            });
  }

  /**
   * Wakes on {@code claimable} signals, and runs a cycle after {@code first}, then every {@code
   * every}.
   */
  public void start(Signals signals, Duration first, Duration every) {
    signals.subscribe(
        PoolWakeups.TOPIC,
        key -> {
          if (Signals.ANY.equals(key)) {
            signalledAll = true;
          } else {
            signalled.add(key);
          }
          trigger();
        });
    thread.scheduleWithFixedDelay(
        this::cycleSafely, first.toNanos(), every.toNanos(), TimeUnit.NANOSECONDS);
  }

  /** Asks for a cycle soon; many asks while one is pending make one cycle. */
  public void trigger() {
    if (pending.compareAndSet(false, true)) {
      try {
        thread.execute(
            () -> {
              pending.set(false);
              cycleSafely();
            });
      } catch (RejectedExecutionException e) {
        // Stopping.
      }
    }
  }

  /** Whether a signal named every pool since the last call; the next call says no until another. */
  public boolean takeAll() {
    boolean all = signalledAll;
    signalledAll = false;
    return all;
  }

  /** Whether a signal named {@code pool} since its last take. */
  public boolean take(String pool) {
    return signalled.remove(pool);
  }

  /** Keeps a taken signal for the next cycle (the pool had no room now). */
  public void keep(String pool) {
    signalled.add(pool);
  }

  private void cycleSafely() {
    try {
      cycle.run();
    } catch (RuntimeException e) {
      log.warn("{} cycle failed: {}", what, e.toString());
    }
  }

  /** Stops the thread; a cycle in flight is interrupted and waited for up to 5 s. */
  @Override
  public void close() {
    thread.shutdownNow();
    try {
      thread.awaitTermination(5, TimeUnit.SECONDS);
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
    }
  }
}

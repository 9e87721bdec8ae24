package dev.runway.ingest.webhook;

import dev.runway.ingest.inbox.Delivery;
import dev.runway.ingest.inbox.InboxRepository;
import dev.runway.platform.db.DatabaseHealth;
import io.micrometer.core.instrument.DistributionSummary;
import io.micrometer.core.instrument.MeterRegistry;
import io.micrometer.core.instrument.Timer;
import java.sql.Connection;
import java.sql.SQLException;
import java.time.Duration;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.ArrayBlockingQueue;
import java.util.concurrent.BlockingQueue;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.RejectedExecutionException;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicLongArray;
import javax.sql.DataSource;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Group commit for the webhook path: concurrent deliveries share one transaction.
 *
 * <p>Each writer thread takes everything queued while the previous commit was in flight and writes
 * it as one multi-row insert, so the cost of a commit (its fsync) is paid once per batch rather
 * than once per request. Under light load a batch is a single delivery and nothing waits for a
 * window to fill. A request is answered only after its batch has committed.
 */
final class IntakeBatcher implements AutoCloseable {
  private static final Logger log = LoggerFactory.getLogger(IntakeBatcher.class);

  /** What a commit said about one delivery. */
  enum Stored {
    INSERTED,
    DUPLICATE
  }

  private record Pending(Delivery delivery, CompletableFuture<Stored> done) {}

  private final DataSource ds;
  private final DeliveryWriter inbox;
  private final DatabaseHealth health;
  private final int maxBatch;
  private final Runnable onCommit;
  private final Timer commitTimer;
  private final DistributionSummary batchSize;
  private final BlockingQueue<Pending> queue;
  private final List<Thread> writers = new ArrayList<>();
  private volatile boolean running = true;

  /** When each writer's current commit started ({@link System#nanoTime}), 0 while it is idle. */
  private final AtomicLongArray inFlightSince;

  /** Recent commit times, the base of each request's wait. */
  private final CommitWait commitWait = new CommitWait();

  IntakeBatcher(
      DataSource ds,
      InboxRepository inbox,
      DatabaseHealth health,
      int writerThreads,
      int maxBatch,
      DeliveryWriter.Handoff handoff,
      Runnable onCommit,
      MeterRegistry registry) {
    this.commitTimer =
        Timer.builder("runway.intake.commit")
            .description("One intake batch: connection checkout, insert and commit")
            .publishPercentiles(0.5, 0.99)
            .register(registry);
    this.batchSize =
        DistributionSummary.builder("runway.intake.batch.size")
            .description("Deliveries per intake commit")
            .publishPercentiles(0.5, 0.99)
            .register(registry);
    this.ds = ds;
    this.onCommit = onCommit;
    this.inbox = new DeliveryWriter(inbox, handoff);
    this.health = health;
    this.maxBatch = maxBatch;
    this.queue = new ArrayBlockingQueue<>(maxBatch * writerThreads * 4);
    this.inFlightSince = new AtomicLongArray(writerThreads);
    for (int i = 0; i < writerThreads; i++) {
      int slot = i;
      Thread t = new Thread(() -> run(slot), "intake-writer-" + i);
      t.setDaemon(true);
      writers.add(t);
      t.start();
    }
  }

  /**
   * Queues {@code d} for the next batch. The future fails at once when the queue is full, which
   * means the database is not keeping up and the caller should spool.
   */
  CompletableFuture<Stored> submit(Delivery d) {
    Pending p = new Pending(d, new CompletableFuture<>());
    if (!running || !queue.offer(p)) {
      return CompletableFuture.failedFuture(
          new RejectedExecutionException("intake queue full or closed"));
    }
    return p.done();
  }

  /**
   * How long a request may wait for its commit: a multiple of recent commit times, at most {@code
   * max}, with no fixed floor ({@link CommitWait}). A healthy database commits in milliseconds, so
   * a stalled one is recognised in milliseconds too, not after the configured budget.
   */
  Duration budget(Duration max) {
    return commitWait.wait(max);
  }

  /** Whether a commit has been in flight for longer than {@code budget}: the database stalls. */
  boolean overdue(Duration budget) {
    long now = System.nanoTime();
    for (int i = 0; i < inFlightSince.length(); i++) {
      long since = inFlightSince.get(i);
      if (since != 0 && now - since > budget.toNanos()) {
        return true;
      }
    }
    return false;
  }

  private void run(int slot) {
    List<Pending> batch = new ArrayList<>(maxBatch);
    while (running || !queue.isEmpty()) {
      try {
        Pending first = queue.poll(100, TimeUnit.MILLISECONDS);
        if (first == null) {
          continue;
        }
        batch.add(first);
        queue.drainTo(batch, maxBatch - 1);
        // A request that gave up waiting has spooled its delivery already; skip the work.
        batch.removeIf(p -> p.done().isDone());
        inFlightSince.set(slot, System.nanoTime() | 1);
        try {
          write(batch);
        } finally {
          inFlightSince.set(slot, 0);
        }
      } catch (InterruptedException e) {
        Thread.currentThread().interrupt();
        return;
      } catch (RuntimeException e) {
        log.error("intake writer failed; continuing", e);
        batch.forEach(p -> p.done().completeExceptionally(e));
      } finally {
        batch.clear();
      }
    }
  }

  private void write(List<Pending> batch) {
    if (batch.isEmpty()) {
      return;
    }
    // The same GUID twice in one batch: the first is the insert, the rest are duplicates.
    Map<String, Delivery> unique = new LinkedHashMap<>();
    batch.forEach(p -> unique.putIfAbsent(p.delivery().guid(), p.delivery()));
    Set<String> inserted;
    long start = System.nanoTime();
    try (Connection c = ds.getConnection()) {
      c.setAutoCommit(false);
      try {
        inserted = inbox.insert(c, List.copyOf(unique.values()), false);
        c.commit();
      } catch (SQLException | RuntimeException e) {
        rollbackQuietly(c);
        throw e;
      }
    } catch (SQLException | RuntimeException e) {
      health.markDown(e.getClass().getSimpleName() + ": " + e.getMessage());
      batch.forEach(p -> p.done().completeExceptionally(e));
      return;
    }
    long took = System.nanoTime() - start;
    commitTimer.record(took, TimeUnit.NANOSECONDS);
    commitWait.record(took);
    batchSize.record(unique.size());
    if (!inserted.isEmpty()) {
      onCommit.run();
    }
    for (Pending p : batch) {
      boolean first = unique.remove(p.delivery().guid()) != null;
      p.done()
          .complete(
              first && inserted.contains(p.delivery().guid()) ? Stored.INSERTED : Stored.DUPLICATE);
    }
  }

  private static void rollbackQuietly(Connection c) {
    try {
      c.rollback();
    } catch (SQLException ignored) {
      // The connection is broken; Hikari evicts it on close.
    }
  }

  /** Stops taking work, lets the writers finish what is queued, and waits at most {@code wait}. */
  void close(Duration wait) {
    running = false;
    long deadline = System.nanoTime() + wait.toNanos();
    for (Thread t : writers) {
      try {
        t.join(Math.max(1, TimeUnit.NANOSECONDS.toMillis(deadline - System.nanoTime())));
      } catch (InterruptedException e) {
        Thread.currentThread().interrupt();
        return;
      }
    }
  }

  @Override
  public void close() {
    close(Duration.ofSeconds(5));
  }
}

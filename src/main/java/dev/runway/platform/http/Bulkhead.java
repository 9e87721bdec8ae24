package dev.runway.platform.http;

import io.javalin.http.Context;
import io.micrometer.core.instrument.Counter;
import io.micrometer.core.instrument.Gauge;
import io.micrometer.core.instrument.MeterRegistry;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.time.Duration;
import java.util.Map;
import java.util.concurrent.ArrayBlockingQueue;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.RejectedExecutionException;
import java.util.concurrent.SynchronousQueue;
import java.util.concurrent.ThreadPoolExecutor;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;

/**
 * A bounded executor of its own for routes whose work may block (on GitHub, on a database
 * checkout), so that they never hold a thread of the listener that {@code /webhooks/github} needs.
 * The request thread only hands the work over and returns; the answer is written when the work's
 * future completes. When every thread is busy and the queue is full, the request is answered 503
 * with {@code Retry-After} at once, on the request thread, without waiting for anything.
 *
 * <p>Work that waited in the queue longer than {@code maxQueueWait} is answered 503 too, without
 * being run: its caller has likely given up, and running it would only lengthen the queue.
 *
 * <p>Meters: {@code runway_bulkhead_active{bulkhead}}, {@code runway_bulkhead_queued{bulkhead}},
 * {@code runway_bulkhead_rejected_total{bulkhead}}.
 */
public final class Bulkhead implements AutoCloseable {
  /** Whole seconds a refused request is told to wait. */
  static final long RETRY_AFTER_SECONDS = 1;

  /** Work of a route: it answers {@code ctx}, and may finish later through the future. */
  @FunctionalInterface
  public interface Work {
    CompletableFuture<?> run() throws Exception;
  }

  private final String name;
  private final ThreadPoolExecutor executor;
  private final long maxQueueWaitNanos;
  private final JsonResponses out;
  private final Counter rejected;

  /**
   * @param threads work running at once
   * @param queue work waiting for a thread at most; past it, 503
   */
  public Bulkhead(
      String name,
      int threads,
      int queue,
      Duration maxQueueWait,
      JsonResponses out,
      MeterRegistry registry) {
    if (threads < 1 || queue < 0) {
      throw new IllegalArgumentException(
          "a bulkhead needs 1 thread or more and a queue of 0 or more");
    }
    this.name = name;
    this.out = out;
    this.maxQueueWaitNanos = maxQueueWait.toNanos();
    AtomicInteger n = new AtomicInteger();
    this.executor =
        new ThreadPoolExecutor(
            threads,
            threads,
            60,
            TimeUnit.SECONDS,
            queue == 0 ? new SynchronousQueue<>() : new ArrayBlockingQueue<>(queue),
            r -> {
              Thread t = new Thread(r, name + "-" + n.incrementAndGet());
              t.setDaemon(true);
              return t;
            },
            new ThreadPoolExecutor.AbortPolicy());
    executor.allowCoreThreadTimeOut(true);
    Gauge.builder("runway.bulkhead.active", executor, ThreadPoolExecutor::getActiveCount)
        .description("Requests of this bulkhead running on its own threads")
        .tag("bulkhead", name)
        .register(registry);
    Gauge.builder("runway.bulkhead.queued", executor, e -> e.getQueue().size())
        .description("Requests of this bulkhead waiting for one of its threads")
        .tag("bulkhead", name)
        .register(registry);
    this.rejected =
        Counter.builder("runway.bulkhead.rejected")
            .description("Requests answered 503 because this bulkhead was full")
            .tag("bulkhead", name)
            .register(registry);
  }

  /**
   * Runs {@code work} on this bulkhead's threads and answers {@code ctx} when its future completes;
   * 503 with {@code Retry-After} at once when the bulkhead is full.
   */
  public void handle(Context ctx, Work work) {
    long queued = System.nanoTime();
    // Javalin calls the supplier on the request thread once the handler has returned, and writes
    // the answer when the future completes.
    ctx.future(
        () -> {
          CompletableFuture<Object> done = new CompletableFuture<>();
          try {
            executor.execute(() -> run(ctx, work, queued, done));
          } catch (RejectedExecutionException full) {
            refuse(ctx, "too many requests in flight here; retry later");
            done.complete(null);
          }
          return done;
        });
  }

  private void run(Context ctx, Work work, long queued, CompletableFuture<Object> done) {
    try {
      if (System.nanoTime() - queued > maxQueueWaitNanos) {
        refuse(ctx, "waited too long for a thread; retry later");
        done.complete(null);
        return;
      }
      work.run()
          .whenComplete(
              (v, e) -> {
                if (e != null) {
                  done.completeExceptionally(e);
                } else {
                  done.complete(null);
                }
              });
    } catch (Throwable e) {
      done.completeExceptionally(e);
    }
  }

  private void refuse(Context ctx, String reason) {
    rejected.increment();
    ctx.header("Retry-After", String.valueOf(RETRY_AFTER_SECONDS));
    try {
      out.send(ctx, 503, Map.of("error", name + ": " + reason));
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
  }

  /** Stops taking work and lets what runs finish, for 5 s at most. */
  @Override
  public void close() {
    executor.shutdown();
    try {
      executor.awaitTermination(5, TimeUnit.SECONDS);
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
    }
  }
}

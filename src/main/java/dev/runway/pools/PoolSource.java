package dev.runway.pools;

import java.time.Duration;

/**
 * Where the pools come from: a YAML file ({@link FilePoolSource}) or Kubernetes {@code RunnerPool}
 * resources ({@link KubernetesPoolSource}). Build one with {@link PoolSources#fromConfig}.
 *
 * <p>Thread safety: {@link #current()} may be called from any number of threads at once and never
 * blocks on I/O, because both implementations serve an in-memory view that a background thread
 * keeps up to date. That makes it safe on the dispatch path of every {@code workflow_job.queued}
 * delivery.
 */
public interface PoolSource extends AutoCloseable {

  /**
   * Starts loading or watching in the background. Returns within a bounded time even when the
   * backing system is down; the source then keeps retrying and {@link #current()} says {@link
   * PoolView.Unavailable} until it has an answer. Calling it twice has no further effect.
   */
  void start();

  /** The latest answer, from memory. Never performs I/O. */
  PoolView current();

  /**
   * Waits up to {@code timeout} for the source to become available, for callers such as a CLI that
   * print what the source sees once. Returns the current view either way.
   */
  PoolView awaitAvailable(Duration timeout) throws InterruptedException;

  /** A short description for logs and the snapshot's {@code source}, e.g. {@code file:/etc/x}. */
  String describe();

  /** Stops the background work and removes this source's gauges. */
  @Override
  void close();
}

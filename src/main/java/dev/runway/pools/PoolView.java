package dev.runway.pools;

import java.util.Objects;
import java.util.function.Function;

/**
 * The answer of {@link PoolSource#current()}: either a snapshot of the pools, or the reason the
 * source cannot answer. "Unknown is not empty": the dispatch worker retries on {@link Unavailable}
 * and reports {@code no_pools} only for an {@link Available} snapshot with zero pools.
 *
 * <p>Java 17 has no pattern matching in {@code switch}, so {@link #fold} is the exhaustive way to
 * handle a view: a new case becomes a compile error at every call.
 */
public sealed interface PoolView {

  /** Applies the function matching this case. */
  <R> R fold(
      Function<? super PoolSnapshot, ? extends R> available,
      Function<? super String, ? extends R> unavailable);

  /** The source answered; the snapshot may legitimately list zero pools. */
  record Available(PoolSnapshot snapshot) implements PoolView {
    public Available {
      Objects.requireNonNull(snapshot, "snapshot");
    }

    @Override
    public <R> R fold(
        Function<? super PoolSnapshot, ? extends R> available,
        Function<? super String, ? extends R> unavailable) {
      return available.apply(snapshot);
    }
  }

  /** The source could not answer (not loaded, not synced, missing file); retry later. */
  record Unavailable(String reason) implements PoolView {
    public Unavailable {
      Objects.requireNonNull(reason, "reason");
    }

    @Override
    public <R> R fold(
        Function<? super PoolSnapshot, ? extends R> available,
        Function<? super String, ? extends R> unavailable) {
      return unavailable.apply(reason);
    }
  }
}

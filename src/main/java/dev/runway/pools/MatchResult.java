package dev.runway.pools;

import java.util.List;
import java.util.Objects;
import java.util.function.Function;
import java.util.function.Supplier;

/**
 * The outcome of matching a job's labels against the pools of an available snapshot.
 *
 * <p>Java 17 has no pattern matching in {@code switch}, so {@link #fold} is the exhaustive way to
 * handle a result: a new case becomes a compile error at every call.
 */
public sealed interface MatchResult {

  /** Applies the function matching this case. */
  <R> R fold(
      Function<? super Pool, ? extends R> matched,
      Supplier<? extends R> noPools,
      Supplier<? extends R> noMatchingPool,
      Function<? super List<String>, ? extends R> ambiguous);

  /** Exactly one pool matches. */
  record Matched(Pool pool) implements MatchResult {
    public Matched {
      Objects.requireNonNull(pool, "pool");
    }

    @Override
    public <R> R fold(
        Function<? super Pool, ? extends R> matched,
        Supplier<? extends R> noPools,
        Supplier<? extends R> noMatchingPool,
        Function<? super List<String>, ? extends R> ambiguous) {
      return matched.apply(pool);
    }
  }

  /** The source answered with zero pools ({@code no_pools}). */
  record NoPools() implements MatchResult {
    @Override
    public <R> R fold(
        Function<? super Pool, ? extends R> matched,
        Supplier<? extends R> noPools,
        Supplier<? extends R> noMatchingPool,
        Function<? super List<String>, ? extends R> ambiguous) {
      return noPools.get();
    }
  }

  /** Pools are listed, but none offers all the job's labels ({@code no_matching_pool}). */
  record NoMatchingPool() implements MatchResult {
    @Override
    public <R> R fold(
        Function<? super Pool, ? extends R> matched,
        Supplier<? extends R> noPools,
        Supplier<? extends R> noMatchingPool,
        Function<? super List<String>, ? extends R> ambiguous) {
      return noMatchingPool.get();
    }
  }

  /** More than one pool matches ({@code ambiguous_pool}); the names are kept on the job. */
  record Ambiguous(List<String> candidateNames) implements MatchResult {
    public Ambiguous {
      candidateNames = List.copyOf(candidateNames);
    }

    @Override
    public <R> R fold(
        Function<? super Pool, ? extends R> matched,
        Supplier<? extends R> noPools,
        Supplier<? extends R> noMatchingPool,
        Function<? super List<String>, ? extends R> ambiguous) {
      return ambiguous.apply(candidateNames);
    }
  }
}

package dev.runway.pools;

import java.util.HashSet;
import java.util.List;
import java.util.Locale;
import java.util.Set;
import java.util.stream.Collectors;

/**
 * Matches a job's {@code runs-on} labels against pools. Pure and thread-safe.
 *
 * <p>A pool matches when every job label, compared case-insensitively and ignoring {@code
 * self-hosted}, is among the pool's labels. {@code self-hosted} is ignored because GitHub adds it
 * to every self-hosted job and it says nothing about which pool should run it. Consequences of that
 * single rule, chosen on purpose:
 *
 * <ul>
 *   <li>A job whose labels are only {@code self-hosted}, or empty, matches <em>every</em> pool, the
 *       way GitHub would hand it to any self-hosted runner. With one pool it is {@link
 *       MatchResult.Matched}; with several it is {@link MatchResult.Ambiguous}, so an operator sees
 *       it instead of Runway picking a pool at random.
 *   <li>A pool with no labels matches only such label-less jobs.
 *   <li>Extra pool labels do not matter: a job {@code [linux]} matches a pool {@code [linux, x64]}.
 * </ul>
 */
public final class PoolMatcher {

  static final String SELF_HOSTED = "self-hosted";

  private PoolMatcher() {}

  /**
   * Matches {@code jobLabels} against {@code pools}.
   *
   * @param jobLabels the job's labels as GitHub sent them
   * @param pools the pools of an {@link PoolView.Available} snapshot
   * @return {@link MatchResult.NoPools} when {@code pools} is empty, otherwise the pools that offer
   *     every relevant job label: none, one, or several (in the order given)
   */
  public static MatchResult match(List<String> jobLabels, List<Pool> pools) {
    if (pools.isEmpty()) {
      return new MatchResult.NoPools();
    }
    Set<String> wanted = normalize(jobLabels);
    wanted.remove(SELF_HOSTED);
    List<Pool> matching =
        pools.stream().filter(pool -> normalize(pool.labels()).containsAll(wanted)).toList();
    if (matching.isEmpty()) {
      return new MatchResult.NoMatchingPool();
    }
    if (matching.size() == 1) {
      return new MatchResult.Matched(matching.get(0));
    }
    return new MatchResult.Ambiguous(matching.stream().map(Pool::name).toList());
  }

  private static Set<String> normalize(List<String> labels) {
    return labels.stream()
        .filter(label -> label != null && !label.isBlank())
        .map(label -> label.trim().toLowerCase(Locale.ROOT))
        .collect(Collectors.toCollection(HashSet::new));
  }
}

package dev.runway.pools;

import static org.assertj.core.api.Assertions.assertThat;

import java.util.List;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.Arguments;
import org.junit.jupiter.params.provider.MethodSource;

class PoolMatcherTest {

  private static final Pool LINUX = new Pool("linux", List.of("linux", "x64", "gpu"));
  private static final Pool MACOS = new Pool("macos", List.of("macOS", "ARM64"));
  private static final Pool LINUX_SMALL = new Pool("linux-small", List.of("linux", "x64"));
  private static final Pool BARE = new Pool("bare", List.of());

  static Stream<Arguments> cases() {
    return Stream.of(
        row(
            "job labels a subset of one pool's",
            List.of("linux", "gpu"),
            List.of(LINUX, MACOS),
            new MatchResult.Matched(LINUX)),
        row(
            "labels compared case-insensitively",
            List.of("MacOS", "arm64"),
            List.of(LINUX, MACOS),
            new MatchResult.Matched(MACOS)),
        row(
            "self-hosted ignored",
            List.of("self-hosted", "macOS"),
            List.of(LINUX, MACOS),
            new MatchResult.Matched(MACOS)),
        row(
            "self-hosted ignored in any case",
            List.of("Self-Hosted", "gpu"),
            List.of(LINUX, MACOS),
            new MatchResult.Matched(LINUX)),
        row(
            "a label no pool offers",
            List.of("linux", "arm64"),
            List.of(LINUX, MACOS),
            new MatchResult.NoMatchingPool()),
        row("zero pools listed", List.of("linux"), List.of(), new MatchResult.NoPools()),
        row(
            "zero pools listed, label-less job",
            List.of("self-hosted"),
            List.of(),
            new MatchResult.NoPools()),
        row(
            "two pools both match",
            List.of("self-hosted", "linux", "x64"),
            List.of(LINUX, MACOS, LINUX_SMALL),
            new MatchResult.Ambiguous(List.of("linux", "linux-small"))),
        row(
            "only self-hosted with one pool",
            List.of("self-hosted"),
            List.of(MACOS),
            new MatchResult.Matched(MACOS)),
        row(
            "only self-hosted with several pools",
            List.of("self-hosted"),
            List.of(LINUX, MACOS),
            new MatchResult.Ambiguous(List.of("linux", "macos"))),
        row(
            "empty job labels with one pool",
            List.of(),
            List.of(LINUX),
            new MatchResult.Matched(LINUX)),
        row(
            "pool with no labels and a labelled job",
            List.of("linux"),
            List.of(BARE),
            new MatchResult.NoMatchingPool()),
        row(
            "pool with no labels and a self-hosted-only job",
            List.of("self-hosted"),
            List.of(BARE),
            new MatchResult.Matched(BARE)),
        row(
            "pool with no labels beside labelled pools, labelled job",
            List.of("macos"),
            List.of(BARE, MACOS),
            new MatchResult.Matched(MACOS)),
        row(
            "duplicate and padded job labels",
            List.of(" linux", "LINUX", "gpu "),
            List.of(LINUX, MACOS),
            new MatchResult.Matched(LINUX)));
  }

  private static Arguments row(
      String description, List<String> jobLabels, List<Pool> pools, MatchResult expected) {
    return Arguments.of(description, jobLabels, pools, expected);
  }

  @ParameterizedTest(name = "{0}")
  @MethodSource("cases")
  void matches_a_job_against_the_pools(
      String description, List<String> jobLabels, List<Pool> pools, MatchResult expected) {
    assertThat(PoolMatcher.match(jobLabels, pools)).isEqualTo(expected);
  }

  @Test
  void fold_handles_every_outcome_by_its_metric_name() {
    List<String> outcomes =
        Stream.of(
                PoolMatcher.match(List.of("gpu"), List.of(LINUX)),
                PoolMatcher.match(List.of("gpu"), List.of()),
                PoolMatcher.match(List.of("arm64"), List.of(LINUX)),
                PoolMatcher.match(List.of("x64"), List.of(LINUX, LINUX_SMALL)))
            .map(
                result ->
                    result.<String>fold(
                        pool -> "queued:" + pool.name(),
                        () -> "no_pools",
                        () -> "no_matching_pool",
                        names -> "ambiguous_pool:" + names))
            .toList();

    assertThat(outcomes)
        .containsExactly(
            "queued:linux", "no_pools", "no_matching_pool", "ambiguous_pool:[linux, linux-small]");
  }
}

package dev.runway.ui;

import static org.assertj.core.api.Assertions.assertThat;

import dev.runway.jobs.Job;
import dev.runway.pools.Pool;
import java.time.Instant;
import java.util.List;
import java.util.Optional;
import org.junit.jupiter.api.Test;

class IgnoreReasonsTest {
  static final Optional<List<Pool>> POOLS =
      Optional.of(
          List.of(new Pool("linux-x64", List.of("linux", "X64")), new Pool("gpu", List.of("gpu"))));

  static Job job(String outcome, String detail, String... labels) {
    return new Job(
        1,
        1,
        10L,
        "acme/app",
        "acme",
        true,
        4242L,
        null,
        "build",
        "CI",
        List.of(labels),
        null,
        "queued",
        outcome,
        detail,
        null,
        null,
        null,
        null,
        Instant.EPOCH,
        null,
        null,
        null,
        null,
        null,
        Instant.EPOCH,
        null,
        "webhook");
  }

  @Test
  void a_job_with_no_outcome_has_no_reason() {
    assertThat(IgnoreReasons.explain(job(null, null, "linux"), POOLS)).isEmpty();
  }

  @Test
  void labels_no_pool_offers_at_all_are_named_ignoring_case_and_self_hosted() {
    assertThat(
            IgnoreReasons.explain(
                job("no_matching_pool", null, "self-hosted", "Linux", "x64", "riscv"), POOLS))
        .hasValue(
            "No pool offers all of the job's labels self-hosted, Linux, x64, riscv. No pool"
                + " offers riscv at all. Add or change a pool, then redispatch.");
  }

  @Test
  void labels_that_are_each_offered_but_not_together_are_said_so() {
    assertThat(IgnoreReasons.explain(job("no_matching_pool", null, "linux", "gpu"), POOLS).get())
        .contains("Each label is offered by some pool, but no one pool offers them all.");
  }

  @Test
  void without_an_answer_from_the_pool_source_the_labels_are_not_judged() {
    assertThat(
            IgnoreReasons.explain(job("no_matching_pool", null, "riscv"), Optional.empty()).get())
        .isEqualTo(
            "No pool offers all of the job's labels riscv. Add or change a pool, then"
                + " redispatch.");
  }

  @Test
  void every_other_outcome_reads_as_a_sentence_with_what_to_do() {
    assertThat(IgnoreReasons.explain(job("no_account", null), POOLS).get())
        .startsWith("No account: acme has no account in Runway")
        .contains("runway accounts set acme");
    assertThat(IgnoreReasons.explain(job("runners_disabled", "max_concurrent is 0"), POOLS).get())
        .startsWith("Runners are disabled for acme (max_concurrent is 0).");
    assertThat(IgnoreReasons.explain(job("ambiguous_pool", "gpu-a,gpu-b"), POOLS).get())
        .startsWith("Several pools offer all of the job's labels: gpu-a, gpu-b.");
    assertThat(
            IgnoreReasons.explain(job("no_pools", "file:pools.yaml lists no pools"), POOLS).get())
        .startsWith("No pools are configured (file:pools.yaml lists no pools).");
  }
}

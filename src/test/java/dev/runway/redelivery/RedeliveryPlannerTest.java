package dev.runway.redelivery;

import static dev.runway.platform.github.GitHubStub.delivery;
import static dev.runway.platform.github.GitHubStub.redelivery;
import static org.assertj.core.api.Assertions.assertThat;

import dev.runway.platform.github.DeliverySummary;
import java.time.Instant;
import java.util.List;
import org.junit.jupiter.api.Test;

class RedeliveryPlannerTest {

  private static final Instant T = Instant.parse("2026-05-19T15:20:00Z");

  private static DeliverySummary attempt(long id, String guid, int minutes, int code) {
    return delivery(id, guid, T.plusSeconds(60L * minutes), "workflow_job", "queued", code);
  }

  @Test
  void a_guid_with_an_ok_attempt_is_already_delivered() {
    List<RedeliveryDecision> plan =
        RedeliveryPlanner.unbounded()
            .plan(List.of(attempt(1, "g", 0, 502), redelivery(attempt(2, "g", 1, 200))));

    assertThat(plan)
        .containsExactly(
            new RedeliveryDecision.AlreadyDelivered("g", redelivery(attempt(2, "g", 1, 200))));
  }

  @Test
  void a_success_older_than_a_failure_still_counts() {
    assertThat(
            RedeliveryPlanner.unbounded()
                .redeliveries(
                    List.of(attempt(1, "g", 0, 200), redelivery(attempt(2, "g", 1, 500)))))
        .isEmpty();
  }

  @Test
  void a_guid_with_two_failed_attempts_redelivers_only_the_newest() {
    DeliverySummary older = attempt(1, "g", 0, 0);
    DeliverySummary newer = redelivery(attempt(2, "g", 5, 503));

    assertThat(RedeliveryPlanner.unbounded().plan(List.of(older, newer)))
        .containsExactly(new RedeliveryDecision.Redeliver("g", newer, 2));
  }

  @Test
  void the_status_text_ok_counts_as_success_even_without_a_code() {
    DeliverySummary ok =
        new DeliverySummary(1, "g", T, false, 0.1, "OK", 0, "workflow_job", "queued", 1L, 2L, null);

    assertThat(RedeliveryPlanner.unbounded().redeliveries(List.of(ok))).isEmpty();
  }

  @Test
  void guids_come_out_newest_first_whatever_the_input_order() {
    List<RedeliveryDecision> plan =
        RedeliveryPlanner.unbounded()
            .plan(
                List.of(
                    attempt(1, "old", 0, 500),
                    attempt(3, "new", 9, 500),
                    attempt(2, "mid", 4, 200)));

    assertThat(plan).extracting(RedeliveryDecision::guid).containsExactly("new", "mid", "old");
  }

  @Test
  void equal_times_are_ordered_by_id() {
    DeliverySummary low = attempt(10, "g", 0, 500);
    DeliverySummary high = attempt(11, "g", 0, 502);

    assertThat(RedeliveryPlanner.unbounded().redeliveries(List.of(high, low)))
        .singleElement()
        .extracting(RedeliveryDecision.Redeliver::attempt)
        .isEqualTo(high);
  }

  @Test
  void a_guid_redelivered_n_times_without_success_is_given_up() {
    List<DeliverySummary> attempts =
        List.of(
            attempt(1, "g", 0, 502),
            redelivery(attempt(2, "g", 2, 502)),
            redelivery(attempt(3, "g", 4, 502)),
            redelivery(attempt(4, "g", 6, 502)));

    assertThat(new RedeliveryPlanner(3).plan(attempts))
        .containsExactly(new RedeliveryDecision.GivenUp("g", attempts.get(3), 3));
    assertThat(new RedeliveryPlanner(4).redeliveries(attempts)).hasSize(1);
  }
}

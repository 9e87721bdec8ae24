package dev.runway.redelivery;

import static dev.runway.platform.github.GitHubStub.delivery;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.runway.platform.github.DeliverySummary;
import java.time.Instant;
import org.junit.jupiter.api.Test;

class DeliveryFilterTest {

  private static final Instant T = Instant.parse("2026-05-19T15:20:00Z");
  private final DeliverySummary queuedFailed = delivery(1, "g", T, "workflow_job", "queued", 502);

  @Test
  void since_marks_older_attempts_as_before_the_window() {
    DeliveryFilter filter =
        new DeliveryFilter(T.plusSeconds(1), null, null, null, null, null, null);

    assertThat(filter.isBeforeWindow(queuedFailed)).isTrue();
    assertThat(filter.matches(queuedFailed)).isFalse();
  }

  @Test
  void the_window_includes_its_bounds() {
    assertThat(new DeliveryFilter(T, T, null, null, null, null, null).matches(queuedFailed))
        .isTrue();
  }

  @Test
  void status_is_checked_on_each_item() {
    assertThat(filterWithStatus(DeliveryFilter.Status.FAILURE).matches(queuedFailed)).isTrue();
    assertThat(filterWithStatus(DeliveryFilter.Status.SUCCESS).matches(queuedFailed)).isFalse();
    assertThat(filterWithStatus(DeliveryFilter.Status.FAILURE).withoutStatus().status()).isNull();
  }

  @Test
  void a_job_id_filter_admits_only_workflow_job_candidates() {
    DeliveryFilter filter = new DeliveryFilter(null, null, null, null, null, null, 5L);

    assertThat(filter.matches(queuedFailed)).isTrue();
    assertThat(filter.matches(delivery(2, "p", T, "ping", null, 200))).isFalse();
  }

  @Test
  void event_and_action_compare_case_insensitively_and_a_null_action_never_matches() {
    DeliveryFilter filter =
        new DeliveryFilter(null, null, "WORKFLOW_JOB", "Queued", null, null, null);

    assertThat(filter.matches(queuedFailed)).isTrue();
    assertThat(filter.matches(delivery(2, "p", T, "workflow_job", null, 200))).isFalse();
  }

  @Test
  void until_before_since_is_refused() {
    assertThatThrownBy(() -> new DeliveryFilter(T, T.minusSeconds(1), null, null, null, null, null))
        .isInstanceOf(IllegalArgumentException.class);
  }

  private static DeliveryFilter filterWithStatus(DeliveryFilter.Status status) {
    return new DeliveryFilter(null, null, null, null, status, null, null);
  }
}

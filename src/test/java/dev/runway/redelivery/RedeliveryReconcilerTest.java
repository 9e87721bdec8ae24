package dev.runway.redelivery;

import static dev.runway.platform.github.GitHubStub.delivery;
import static dev.runway.platform.github.GitHubStub.redelivery;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.runway.platform.config.ConfigException;
import dev.runway.platform.config.RunwayConfig;
import dev.runway.platform.github.DeliverySummary;
import java.time.Duration;
import java.time.Instant;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import org.junit.jupiter.api.Test;

/** The reconciler's pure rules: the listing window and what to do about each event. */
class RedeliveryReconcilerTest {
  private static final Instant NOW = Instant.parse("2026-05-19T15:00:00Z");
  private static final Duration OVERLAP = Duration.ofMinutes(5);
  private static final Duration LOOKBACK = Duration.ofDays(3);
  private final RedeliveryPlanner planner = new RedeliveryPlanner(3);

  @Test
  void the_first_cycle_looks_back_the_whole_lookback() {
    assertThat(RedeliveryReconciler.windowStart(Optional.empty(), NOW, OVERLAP, LOOKBACK))
        .isEqualTo(NOW.minus(LOOKBACK));
  }

  @Test
  void a_later_cycle_starts_at_the_checkpoint_minus_the_overlap() {
    var checkpoint = new ReconcilerCheckpoints.Checkpoint(NOW.minusSeconds(120), 7);
    assertThat(RedeliveryReconciler.windowStart(Optional.of(checkpoint), NOW, OVERLAP, LOOKBACK))
        .isEqualTo(NOW.minusSeconds(120).minus(OVERLAP));
  }

  @Test
  void a_checkpoint_older_than_the_lookback_is_clamped_to_it() {
    var checkpoint = new ReconcilerCheckpoints.Checkpoint(NOW.minus(Duration.ofDays(9)), 7);
    assertThat(RedeliveryReconciler.windowStart(Optional.of(checkpoint), NOW, OVERLAP, LOOKBACK))
        .isEqualTo(NOW.minus(LOOKBACK));
  }

  @Test
  void the_checkpoint_is_the_newest_listed_attempt_by_time_then_id() {
    List<DeliverySummary> listed =
        List.of(
            attempt(10, "a", 5, 502),
            attempt(12, "b", 1, 200),
            attempt(11, "c", 1, 502),
            attempt(13, "d", 9, 502));
    assertThat(RedeliveryReconciler.newest(listed))
        .contains(new ReconcilerCheckpoints.Checkpoint(NOW.minusSeconds(60), 12));
    assertThat(RedeliveryReconciler.newest(List.of())).isEmpty();
  }

  @Test
  void an_event_without_a_successful_attempt_is_redelivered_from_its_newest_failed_attempt() {
    RedeliveryStep step =
        triage(List.of(attempt(1, "g", 9, 502), attempt(2, "g", 4, 0)), false, null);
    assertThat(step).isInstanceOf(RedeliveryStep.Redeliver.class);
    assertThat(((RedeliveryStep.Redeliver) step).attempt().id()).isEqualTo(2);
    assertThat(((RedeliveryStep.Redeliver) step).priorAttempts()).isZero();
  }

  @Test
  void an_event_with_a_successful_attempt_is_skipped_without_counting() {
    assertThat(triage(List.of(attempt(1, "g", 9, 502), attempt(2, "g", 4, 200)), false, null))
        .isEqualTo(new RedeliveryStep.Skip("g", null));
  }

  @Test
  void an_event_the_inbox_holds_is_skipped_whatever_github_recorded() {
    assertThat(triage(List.of(attempt(1, "g", 9, 504)), true, null))
        .isEqualTo(new RedeliveryStep.Skip("g", "skipped_in_inbox"));
  }

  @Test
  void an_attempt_redelivered_moments_ago_is_not_asked_for_again() {
    var row = row(1, 1, RedeliveryRepository.REDELIVERED, NOW.minusSeconds(60), false);
    assertThat(triage(List.of(attempt(1, "g", 9, 502)), false, row))
        .isEqualTo(new RedeliveryStep.Skip("g", "skipped_pending"));
  }

  @Test
  void an_accepted_redelivery_that_never_showed_up_is_asked_for_again_after_a_while() {
    var row = row(1, 1, RedeliveryRepository.REDELIVERED, NOW.minus(RedeliveryStep.PENDING), false);
    RedeliveryStep step = triage(List.of(attempt(1, "g", 30, 502)), false, row);
    assertThat(step).isInstanceOf(RedeliveryStep.Redeliver.class);
    assertThat(((RedeliveryStep.Redeliver) step).priorAttempts()).isEqualTo(1);
  }

  @Test
  void a_refused_redelivery_request_is_retried_in_the_next_cycle() {
    var row = row(1, 1, RedeliveryRepository.FAILED, NOW.minusSeconds(60), false);
    assertThat(triage(List.of(attempt(1, "g", 9, 502)), false, row))
        .isInstanceOf(RedeliveryStep.Redeliver.class);
  }

  @Test
  void an_event_asked_max_attempts_times_is_given_up() {
    var row = row(2, 3, RedeliveryRepository.REDELIVERED, NOW.minusSeconds(60), false);
    assertThat(triage(List.of(attempt(5, "g", 1, 502)), false, row))
        .isEqualTo(new RedeliveryStep.GiveUp("g", attempt(5, "g", 1, 502), 3));
  }

  @Test
  void an_event_redelivered_max_times_by_anyone_is_given_up_even_without_a_record() {
    List<DeliverySummary> attempts =
        List.of(
            attempt(1, "g", 9, 502),
            redelivery(attempt(2, "g", 7, 502)),
            redelivery(attempt(3, "g", 5, 502)),
            redelivery(attempt(4, "g", 3, 502)));
    RedeliveryStep step = triage(attempts, false, null);
    assertThat(step).isInstanceOf(RedeliveryStep.GiveUp.class);
    assertThat(((RedeliveryStep.GiveUp) step).attempts()).isEqualTo(3);
  }

  @Test
  void an_event_given_up_before_is_left_alone_without_counting() {
    var row = row(4, 3, RedeliveryRepository.FAILED, NOW.minus(Duration.ofHours(1)), true);
    assertThat(triage(List.of(attempt(4, "g", 9, 502)), false, row))
        .isEqualTo(new RedeliveryStep.Skip("g", null));
  }

  @Test
  void redelivery_settings_have_defaults_and_name_their_variable_when_wrong() {
    RunwayConfig c = RunwayConfig.from(Map.of(RunwayConfig.WEBHOOK_SECRETS, "s"));
    assertThat(c.redelivery())
        .isEqualTo(
            new RunwayConfig.Redelivery(
                true, Duration.ofMinutes(2), Duration.ofMinutes(5), Duration.ofDays(3), 50, 3));
    assertThat(c.redeliveryActive()).as("no App credentials").isFalse();
    assertThatThrownBy(() -> config(Map.of(RunwayConfig.REDELIVERY_INTERVAL, "0s")))
        .isInstanceOf(ConfigException.class)
        .hasMessageStartingWith("RUNWAY_REDELIVERY_INTERVAL:");
    assertThatThrownBy(() -> config(Map.of(RunwayConfig.REDELIVERY_LOOKBACK, "8d")))
        .hasMessageStartingWith("RUNWAY_REDELIVERY_LOOKBACK:");
    assertThatThrownBy(() -> config(Map.of(RunwayConfig.REDELIVERY_MAX_ATTEMPTS, "0")))
        .hasMessageStartingWith("RUNWAY_REDELIVERY_MAX_ATTEMPTS:");
    assertThatThrownBy(() -> config(Map.of(RunwayConfig.REDELIVERY_MAX_PER_CYCLE, "lots")))
        .hasMessageStartingWith("RUNWAY_REDELIVERY_MAX_PER_CYCLE:");
    assertThatThrownBy(() -> config(Map.of(RunwayConfig.REDELIVERY_ENABLED, "yes")))
        .hasMessageStartingWith("RUNWAY_REDELIVERY_ENABLED:");
  }

  @Test
  void redelivery_runs_only_with_both_app_credentials_and_can_be_turned_off() {
    Map<String, String> app =
        Map.of(RunwayConfig.GITHUB_APP_ID, "1", RunwayConfig.GITHUB_PRIVATE_KEY_FILE, "/k/app.pem");
    assertThat(config(app).redeliveryActive()).isTrue();
    var off = new java.util.HashMap<>(app);
    off.put(RunwayConfig.REDELIVERY_ENABLED, "false");
    assertThat(config(off).redeliveryActive()).isFalse();
    assertThatThrownBy(() -> config(Map.of(RunwayConfig.GITHUB_APP_ID, "1")))
        .hasMessageStartingWith("RUNWAY_GITHUB_PRIVATE_KEY_FILE:");
    assertThatThrownBy(() -> config(Map.of(RunwayConfig.GITHUB_PRIVATE_KEY_FILE, "/k/app.pem")))
        .hasMessageStartingWith("RUNWAY_GITHUB_APP_ID:");
  }

  // ---- helpers ----

  private RedeliveryStep triage(
      List<DeliverySummary> attempts, boolean inInbox, RedeliveryRepository.Row row) {
    List<RedeliveryDecision> decisions = planner.plan(attempts);
    assertThat(decisions).hasSize(1);
    return RedeliveryStep.triage(decisions.get(0), inInbox, row, NOW, 3);
  }

  private static DeliverySummary attempt(long id, String guid, int minutesAgo, int statusCode) {
    return delivery(
        id, guid, NOW.minus(Duration.ofMinutes(minutesAgo)), "workflow_job", "queued", statusCode);
  }

  private static RedeliveryRepository.Row row(
      long deliveryId, int attempts, String result, Instant at, boolean givenUp) {
    return new RedeliveryRepository.Row("g", deliveryId, attempts, result, at, givenUp);
  }

  private static RunwayConfig config(Map<String, String> extra) {
    var env = new java.util.HashMap<String, String>(extra);
    env.put(RunwayConfig.WEBHOOK_SECRETS, "s");
    return RunwayConfig.from(env);
  }
}

package dev.runway.claims;

import static dev.runway.claims.RunnerState.CLAIMED;
import static dev.runway.claims.RunnerState.DONE;
import static dev.runway.claims.RunnerState.FAILED;
import static dev.runway.claims.RunnerState.LAUNCHING;
import static dev.runway.claims.RunnerState.RUNNING;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import com.fasterxml.jackson.databind.ObjectMapper;
import dev.runway.runners.ClaimEvent;
import dev.runway.runners.ClaimEventsApi;
import org.junit.jupiter.api.Test;

class RunnerStateTest {
  private final ObjectMapper json = new ObjectMapper();

  @Test
  void a_state_the_claim_is_in_or_has_passed_is_a_repeat() {
    assertThat(LAUNCHING.reachedBy(LAUNCHING)).isTrue();
    assertThat(LAUNCHING.reachedBy(RUNNING)).isTrue();
    assertThat(LAUNCHING.reachedBy(DONE)).isTrue();
    assertThat(RUNNING.reachedBy(DONE)).isTrue();
    assertThat(FAILED.reachedBy(FAILED)).isTrue();
    assertThat(DONE.reachedBy(DONE)).isTrue();
  }

  @Test
  void contradictions_are_not_repeats() {
    assertThat(LAUNCHING.reachedBy(FAILED)).isFalse();
    assertThat(RUNNING.reachedBy(FAILED)).isFalse();
    assertThat(DONE.reachedBy(FAILED)).isFalse();
    assertThat(FAILED.reachedBy(DONE)).isFalse();
    assertThat(RUNNING.reachedBy(CLAIMED)).isFalse();
  }

  @Test
  void exit_code_7_or_the_deprecated_message_is_runner_outdated() throws Exception {
    assertThat(exited("{\"event\":\"exited\",\"exit_code\":7,\"job_started\":false}"))
        .isEqualTo(ClaimEvent.FailureReason.RUNNER_OUTDATED);
    assertThat(
            exited(
                "{\"event\":\"exited\",\"exit_code\":1,\"job_started\":false,"
                    + "\"deprecated_version\":true}"))
        .isEqualTo(ClaimEvent.FailureReason.RUNNER_OUTDATED);
  }

  @Test
  void other_failures_have_their_own_reasons() throws Exception {
    assertThat(exited("{\"event\":\"exited\",\"exit_code\":1,\"job_started\":false}"))
        .isEqualTo(ClaimEvent.FailureReason.EXITED_BEFORE_JOB);
    assertThat(exited("{\"event\":\"exited\",\"exit_code\":null,\"job_started\":false}"))
        .isEqualTo(ClaimEvent.FailureReason.LAUNCH_ERROR);
    assertThat(
            exited(
                "{\"event\":\"exited\",\"exit_code\":137,\"job_started\":false,"
                    + "\"killed\":\"job_timeout\"}"))
        .isEqualTo(ClaimEvent.FailureReason.JOB_TIMEOUT);
    assertThat(
            exited(
                "{\"event\":\"exited\",\"exit_code\":143,\"job_started\":false,"
                    + "\"killed\":\"stopped\"}"))
        .isEqualTo(ClaimEvent.FailureReason.STOPPED);
  }

  @Test
  void malformed_events_are_refused() {
    for (String bad :
        new String[] {
          "[]",
          "{}",
          "{\"event\":\"exploded\"}",
          "{\"event\":\"exited\"}",
          "{\"event\":\"exited\",\"job_started\":\"no\"}",
          "{\"event\":\"exited\",\"job_started\":false,\"exit_code\":\"1\"}",
          "{\"event\":\"exited\",\"job_started\":false,\"killed\":\"bored\"}",
          "{\"event\":\"exited\",\"job_started\":false,\"last_stderr_line\":[\"x\"]}"
        }) {
      assertThatThrownBy(() -> ClaimEventsApi.parse(json.readTree(bad)))
          .as(bad)
          .isInstanceOf(IllegalArgumentException.class);
    }
  }

  @Test
  void the_last_stderr_line_is_kept_bounded_and_is_optional() throws Exception {
    String longLine = "e".repeat(1000);
    ClaimEvent.Exited e =
        (ClaimEvent.Exited)
            ClaimEventsApi.parse(
                json.readTree(
                    "{\"event\":\"exited\",\"exit_code\":2,\"job_started\":false,"
                        + "\"last_stderr_line\":\"  "
                        + longLine
                        + "\"}"));
    assertThat(e.lastStderrLine()).hasSize(ClaimEvent.Exited.STDERR_LINE_MAX).startsWith("eee");

    ClaimEvent.Exited none =
        (ClaimEvent.Exited)
            ClaimEventsApi.parse(json.readTree("{\"event\":\"exited\",\"job_started\":false}"));
    assertThat(none.lastStderrLine()).isNull();
    ClaimEvent.Exited blank =
        (ClaimEvent.Exited)
            ClaimEventsApi.parse(
                json.readTree(
                    "{\"event\":\"exited\",\"job_started\":false,\"last_stderr_line\":\" \"}"));
    assertThat(blank.lastStderrLine()).isNull();
  }

  private ClaimEvent.FailureReason exited(String body) throws Exception {
    return ((ClaimEvent.Exited) ClaimEventsApi.parse(json.readTree(body))).failureReason();
  }
}

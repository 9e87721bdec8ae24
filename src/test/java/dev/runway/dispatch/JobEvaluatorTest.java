package dev.runway.dispatch;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.runway.accounts.Account;
import dev.runway.pools.Pool;
import dev.runway.pools.PoolSnapshot;
import dev.runway.pools.PoolView;
import java.sql.SQLException;
import java.time.Instant;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import org.junit.jupiter.api.Test;

/** Where a queued job belongs, decided from its account and the pools the source lists. */
class JobEvaluatorTest {
  private static final Account ACME = new Account(7, "acme", 42L, false, true, 10);

  @Test
  void an_unknown_account_is_no_account() {
    var e = evaluator(Optional.empty(), snapshot()).evaluate(null, 42L, "acme", List.of("linux"));
    assertThat(e.accountId()).isNull();
    assertThat(e.outcome()).isInstanceOf(DispatchOutcome.NoAccount.class);
  }

  @Test
  void an_account_without_runners_says_why() {
    record Case(Account account, String why) {}
    for (Case c :
        List.of(
            new Case(new Account(7, "acme", 42L, true, true, 10), "installation suspended"),
            new Case(new Account(7, "acme", 42L, false, false, 10), "runners disabled"),
            new Case(new Account(7, "acme", 42L, false, true, 0), "max_concurrent is 0"))) {
      var e =
          evaluator(Optional.of(c.account()), snapshot()).evaluate(null, 42L, "acme", List.of());
      assertThat(e.accountId()).isEqualTo(7L);
      assertThat(e.outcome()).isEqualTo(new DispatchOutcome.RunnersDisabled(c.why()));
    }
  }

  @Test
  void a_matching_pool_makes_the_job_queued_in_it() {
    var e = evaluator(Optional.of(ACME), snapshot()).evaluate(null, 42L, "acme", List.of("Linux"));
    assertThat(e.outcome()).isEqualTo(new DispatchOutcome.Queued("linux"));
    assertThat(e.outcome().pool()).isEqualTo("linux");
  }

  @Test
  void no_match_and_zero_pools_are_different_answers() {
    assertThat(
            evaluator(Optional.of(ACME), snapshot())
                .evaluate(null, 42L, "acme", List.of("windows"))
                .outcome())
        .isEqualTo(new DispatchOutcome.NoMatchingPool(List.of("windows")));
    PoolView empty = new PoolView.Available(new PoolSnapshot(List.of(), Instant.EPOCH, "test"));
    assertThat(evaluator(Optional.of(ACME), empty).evaluate(null, 42L, "acme", List.of()).outcome())
        .isEqualTo(new DispatchOutcome.NoPools("test"));
  }

  @Test
  void a_database_or_pool_source_that_cannot_answer_is_a_retry_not_an_outcome() {
    JobEvaluator dbDown =
        new JobEvaluator(
            (c, i, o) -> {
              throw new SQLException("connection refused");
            },
            JobEvaluatorTest::snapshot);
    assertThatThrownBy(() -> dbDown.evaluate(null, 42L, "acme", List.of()))
        .isInstanceOf(DispatchRetry.class);
    PoolView unavailable = new PoolView.Unavailable("never synced");
    assertThatThrownBy(
            () -> evaluator(Optional.of(ACME), unavailable).evaluate(null, 42L, "acme", List.of()))
        .isInstanceOf(DispatchRetry.class)
        .hasMessageContaining("never synced");
  }

  @Test
  void a_pool_that_was_never_valid_makes_no_match_and_zero_pools_a_retry() {
    PoolView allInvalid =
        new PoolView.Available(
            new PoolSnapshot(
                List.of(), Instant.EPOCH, "test", Map.of("gpu", "maxRunners must be at least 1")));
    assertThatThrownBy(
            () ->
                evaluator(Optional.of(ACME), allInvalid)
                    .evaluate(null, 42L, "acme", List.of("gpu")))
        .isInstanceOf(DispatchRetry.class)
        .hasMessageContaining("gpu: maxRunners must be at least 1");

    PoolView oneInvalid =
        new PoolView.Available(
            new PoolSnapshot(
                List.of(new Pool("linux", List.of("linux"))),
                Instant.EPOCH,
                "test",
                Map.of("gpu", "no labels")));
    assertThatThrownBy(
            () ->
                evaluator(Optional.of(ACME), oneInvalid)
                    .evaluate(null, 42L, "acme", List.of("gpu")))
        .isInstanceOf(DispatchRetry.class);
    assertThat(
            evaluator(Optional.of(ACME), oneInvalid)
                .evaluate(null, 42L, "acme", List.of("linux"))
                .outcome())
        .as("a job a readable pool matches is not held up by another pool's problem")
        .isEqualTo(new DispatchOutcome.Queued("linux"));
  }

  private static JobEvaluator evaluator(Optional<Account> account, PoolView pools) {
    return new JobEvaluator((c, i, o) -> account, () -> pools);
  }

  private static PoolView snapshot() {
    return new PoolView.Available(
        new PoolSnapshot(List.of(new Pool("linux", List.of("linux"))), Instant.EPOCH, "test"));
  }
}

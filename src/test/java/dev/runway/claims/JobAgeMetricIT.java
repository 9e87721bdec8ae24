package dev.runway.claims;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import java.nio.file.Path;
import java.time.Duration;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * {@code runway_jobs_oldest_age_seconds{pool,status}}: the age of the oldest job in each pool and
 * state, which the queued-too-long alert reads. It follows the oldest job, not the newest, and
 * drops to 0 when the state empties.
 */
class JobAgeMetricIT {
  static final String POOLS =
      """
      pools:
        - name: linux
          labels: [linux, x64]
      """;

  @Test
  void the_oldest_queued_job_sets_the_age_and_a_claim_moves_it(@TempDir Path dir) throws Exception {
    try (ClaimsFixture f = ClaimsFixture.start(dir, POOLS, Map.of())) {
      f.account("acme", ClaimsFixture.ACME, 5);
      f.queued(1, "acme", ClaimsFixture.ACME, "linux");
      f.queued(2, "acme", ClaimsFixture.ACME, "linux");
      // Job 1 was received 20 minutes ago, job 2 just now (the database's clock sets both).
      f.svc.exec("update jobs set received_at = now() - interval '20 minutes' where job_id = 1");

      await()
          .atMost(Duration.ofSeconds(30))
          .untilAsserted(
              () ->
                  assertThat(f.svc.metric(age("linux", "queued"))).isBetween(20 * 60.0, 25 * 60.0));

      // The claim takes the oldest job: the queued age falls to job 2's, job 1's moves to claimed.
      assertThat(f.claim("linux", f.token("linux")).statusCode()).isEqualTo(200);
      await()
          .atMost(Duration.ofSeconds(30))
          .untilAsserted(
              () -> {
                assertThat(f.svc.metric(age("linux", "queued"))).isLessThan(5 * 60.0);
                assertThat(f.svc.metric(age("linux", "claimed"))).isGreaterThanOrEqualTo(20 * 60.0);
              });

      assertThat(f.claim("linux", f.token("linux")).statusCode()).isEqualTo(200);
      await()
          .atMost(Duration.ofSeconds(30))
          .untilAsserted(() -> assertThat(f.svc.metric(age("linux", "queued"))).isZero());
      assertThat(f.svc.get("/metrics").body()).contains(age("linux", "queued") + " 0.0");
    }
  }

  private static String age(String pool, String status) {
    return "runway_jobs_oldest_age_seconds{pool=\"" + pool + "\",status=\"" + status + "\"}";
  }
}

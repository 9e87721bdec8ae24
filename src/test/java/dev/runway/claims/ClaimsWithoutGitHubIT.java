package dev.runway.claims;

import static dev.runway.claims.ClaimsFixture.ACME;
import static org.assertj.core.api.Assertions.assertThat;

import java.net.http.HttpResponse;
import java.nio.file.Path;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** The service starts without GitHub App credentials; claims then say why they cannot work. */
class ClaimsWithoutGitHubIT {
  @TempDir Path dir;

  @Test
  void without_app_credentials_a_claim_is_503_and_the_job_stays_queued() throws Exception {
    try (ClaimsFixture f =
        ClaimsFixture.withoutGitHubApp(dir, "pools:\n  - name: linux\n    labels: [linux]\n")) {
      f.account("acme", ACME, 5);
      f.queued(401, "acme", ACME, "linux");

      HttpResponse<String> r = f.claim("linux", f.token("linux"));

      assertThat(r.statusCode()).isEqualTo(503);
      assertThat(r.headers().firstValue("Retry-After")).isPresent();
      assertThat(f.body(r).get("error").asText())
          .startsWith("configuration error: no GitHub App configured");
      assertThat(f.status(401)).isEqualTo("queued");
      assertThat(f.claim("linux", "rwy_wrong").statusCode()).isEqualTo(401);
    }
  }
}

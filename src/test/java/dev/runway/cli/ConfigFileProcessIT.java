package dev.runway.cli;

import static org.assertj.core.api.Assertions.assertThat;

import dev.runway.testing.ServiceProcess;
import dev.runway.testing.Signed;
import java.net.http.HttpClient;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** The jar reads runway.env from its working directory, so a second shell sees the settings. */
class ConfigFileProcessIT {
  @Test
  void serve_takes_its_webhook_secret_from_runway_env_in_the_working_directory(@TempDir Path work)
      throws Exception {
    Files.writeString(work.resolve("runway.env"), "RUNWAY_WEBHOOK_SECRETS=from-the-file\n");
    // No RUNWAY_WEBHOOK_SECRETS in the environment: without the file, serve refuses to start.
    ServiceProcess svc =
        ServiceProcess.start(work, Map.of(), List.of(), ServiceProcess.freePort())
            .awaitReady(Duration.ofSeconds(120));
    try {
      var r =
          Signed.send(
              HttpClient.newHttpClient(),
              svc.base(),
              "workflow_job",
              "from-file-1",
              Signed.workflowJob("queued", 1, "linux"),
              "from-the-file");
      assertThat(r.statusCode()).isEqualTo(202);
    } finally {
      assertThat(svc.stop(Duration.ofSeconds(60))).isZero();
    }
    assertThat(svc.log()).doesNotContain("from-the-file");
  }
}

package dev.runway.cli.deliveries;

import static dev.runway.cli.deliveries.CliHarness.NOW;
import static dev.runway.platform.github.GitHubStub.delivery;
import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.runway.platform.github.DeliverySummary;
import dev.runway.platform.github.GitHubStub;
import dev.runway.platform.github.TestKeys;
import java.nio.file.Path;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class DeliveriesShowIT {

  private static final TestKeys KEYS = TestKeys.generate();

  @TempDir Path tempDir;
  private CliHarness cli;

  @BeforeEach
  void start() {
    cli = new CliHarness(KEYS, tempDir);
  }

  @AfterEach
  void stop() {
    cli.close();
  }

  @Test
  void show_prints_request_and_response_with_secret_headers_redacted() throws Exception {
    DeliverySummary d = delivery(42, "g-42", NOW.minusSeconds(60), "workflow_job", "queued", 502);
    cli.github.stubDeliveryDetail(d, GitHubStub.workflowJobPayload("queued", 29679449));

    CliHarness.Result result = cli.run("show", "42");

    assertThat(result.exitCode()).as(result.err()).isZero();
    JsonNode shown = new ObjectMapper().readTree(result.out());
    assertThat(shown.get("guid").asText()).isEqualTo("g-42");
    JsonNode headers = shown.path("request").path("headers");
    assertThat(headers.get("X-Hub-Signature-256").asText()).isEqualTo("[redacted]");
    assertThat(headers.get("X-Hub-Signature").asText()).isEqualTo("[redacted]");
    assertThat(headers.get("X-GitHub-Event").asText()).isEqualTo("workflow_job");
    assertThat(shown.path("response").path("headers").get("Set-Cookie").asText())
        .isEqualTo("[redacted]");
    assertThat(shown.path("request").path("payload").path("workflow_job").path("id").asLong())
        .isEqualTo(29679449);
    assertThat(result.out()).doesNotContain("abababab");
  }
}

package dev.runway.cli.deliveries;

import static dev.runway.cli.deliveries.CliHarness.NOW;
import static dev.runway.platform.github.GitHubStub.delivery;
import static org.assertj.core.api.Assertions.assertThat;

import ch.qos.logback.classic.Level;
import ch.qos.logback.classic.Logger;
import ch.qos.logback.classic.spi.ILoggingEvent;
import ch.qos.logback.classic.spi.IThrowableProxy;
import ch.qos.logback.core.read.ListAppender;
import dev.runway.platform.github.AppJwtSigner;
import dev.runway.platform.github.DeliverySummary;
import dev.runway.platform.github.GitHubClient;
import dev.runway.platform.github.GitHubStub;
import dev.runway.platform.github.TestKeys;
import java.io.StringWriter;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.slf4j.LoggerFactory;

/**
 * Runs the CLI with {@code --verbose} and greps every captured stream (stdout, stderr and the
 * logback output) for the PEM body, every JWT the stub saw and every token it issued.
 */
class DeliveriesSecretsIT {

  private static final TestKeys KEYS = TestKeys.generate();

  @TempDir Path tempDir;
  private CliHarness cli;
  private final ListAppender<ILoggingEvent> logs = new ListAppender<>();
  private final Logger root = (Logger) LoggerFactory.getLogger(Logger.ROOT_LOGGER_NAME);
  private final Logger runway = (Logger) LoggerFactory.getLogger("dev.runway");
  private Level runwayLevel;

  @BeforeEach
  void start() {
    cli = new CliHarness(KEYS, tempDir);
    logs.start();
    root.addAppender(logs);
    runwayLevel = runway.getLevel();
    runway.setLevel(Level.DEBUG);
  }

  @AfterEach
  void stop() {
    root.detachAppender(logs);
    runway.setLevel(runwayLevel);
    cli.close();
  }

  @Test
  void verbose_runs_never_print_the_key_or_any_jwt() {
    DeliverySummary failed = delivery(7, "g7", NOW.minusSeconds(60), "workflow_job", "queued", 502);
    cli.github.stubDeliveriesPages(List.of(List.of(failed)));
    cli.github.stubDeliveryDetail(failed, GitHubStub.workflowJobPayload("queued", 1));
    cli.github.stubRedeliver(7, 422);
    cli.env.put("RUNWAY_GITHUB_PRIVATE_KEY", KEYS.pkcs1Pem());
    cli.env.remove("RUNWAY_GITHUB_PRIVATE_KEY_FILE");

    List<CliHarness.Result> results =
        List.of(
            cli.run("list", "--verbose", "--workflow-job-id", "1"),
            cli.run("histogram", "--verbose"),
            cli.run("show", "7", "--verbose"),
            cli.run("redeliver", "--failed", "--verbose"),
            cli.run("list", "--verbose", "--app-id", "999"));

    StringBuilder captured = new StringBuilder();
    results.forEach(r -> captured.append(r.out()).append(r.err()));
    captured.append(logText());
    assertThat(results.get(0).err()).contains("GET /app/hook/deliveries?per_page=100 -> 200");
    assertThat(results.get(4).exitCode()).isEqualTo(1);
    assertThat(cli.github.presentedCredentials()).isNotEmpty();
    assertThat(logs.list).as("the client's debug log was captured").isNotEmpty();
    assertNoSecrets(captured.toString());
  }

  @Test
  void the_client_never_logs_installation_tokens_or_jit_configs() {
    cli.github.stubInstallationToken(4242);
    cli.github.stubOrgJitConfig("acme", 5, "ZW5jb2RlZC1qaXQtY29uZmln");
    StringWriter observed = new StringWriter();
    GitHubClient client =
        GitHubClient.builder(new AppJwtSigner(CliHarness.APP_ID, KEYS.privateKey(), cli.clock))
            .apiUrl(cli.github.apiUrl())
            .clock(cli.clock)
            .observer(
                (m, p, s, e, a) ->
                    observed
                        .append(m)
                        .append(' ')
                        .append(p)
                        .append(' ')
                        .append(String.valueOf(s))
                        .append('\n'))
            .build();

    String config =
        client
            .generateJitConfig(
                new GitHubClient.RunnerScope(4242, "acme", "app", true),
                "r-1",
                1,
                List.of("linux"),
                "_work",
                null)
            .toString();

    assertThat(observed.toString())
        .contains("POST /orgs/acme/actions/runners/generate-jitconfig 201");
    String captured = observed + config + logText();
    assertThat(captured).doesNotContain("ZW5jb2RlZC1qaXQtY29uZmln");
    assertNoSecrets(captured);
  }

  private void assertNoSecrets(String captured) {
    List<String> secrets = new ArrayList<>();
    secrets.add(KEYS.pkcs1Body());
    secrets.add(KEYS.pkcs8Body());
    KEYS.pkcs1Pem().lines().filter(line -> !line.startsWith("-----")).forEach(secrets::add);
    secrets.addAll(cli.github.presentedCredentials());
    secrets.addAll(cli.github.issuedTokens());
    assertThat(secrets).hasSizeGreaterThan(3);
    for (String secret : secrets) {
      assertThat(captured).doesNotContain(secret);
    }
    assertThat(captured).doesNotContain("BEGIN RSA PRIVATE KEY").doesNotContain("eyJ");
  }

  private String logText() {
    StringBuilder text = new StringBuilder();
    for (ILoggingEvent event : logs.list) {
      text.append(event.getFormattedMessage()).append('\n');
      for (IThrowableProxy t = event.getThrowableProxy(); t != null; t = t.getCause()) {
        text.append(t.getMessage()).append('\n');
      }
    }
    return text.toString();
  }
}

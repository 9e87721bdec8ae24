package dev.runway.cli.deliveries;

import static org.assertj.core.api.Assertions.assertThat;

import dev.runway.platform.github.TestKeys;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class DeliveriesCredentialsIT {

  private static final TestKeys KEYS = TestKeys.generate();

  @TempDir Path tempDir;
  private CliHarness cli;

  @BeforeEach
  void start() {
    cli = new CliHarness(KEYS, tempDir);
    cli.github.stubDeliveriesPages(List.of());
    // Each test brings its own key source.
    cli.env.remove("RUNWAY_GITHUB_PRIVATE_KEY_FILE");
    cli.env.remove("RUNWAY_GITHUB_APP_ID");
  }

  @AfterEach
  void stop() {
    cli.close();
  }

  private void assertAuthenticatedListSucceeded(CliHarness.Result result) {
    assertThat(result.exitCode()).as(result.err()).isZero();
    assertThat(result.out().trim()).isEqualTo("[ ]");
    assertThat(cli.github.authRejections()).isEmpty();
    assertThat(cli.github.listRequests()).isEqualTo(1);
  }

  @Test
  void a_pkcs1_key_file_given_by_flag_authenticates() {
    Path key = KEYS.writePkcs1(tempDir, "pkcs1.pem");

    assertAuthenticatedListSucceeded(
        cli.run("list", "--app-id", CliHarness.APP_ID, "--private-key-file", key.toString()));
  }

  @Test
  void a_pkcs8_key_in_the_environment_authenticates() {
    cli.env.put("RUNWAY_GITHUB_APP_ID", CliHarness.APP_ID);
    cli.env.put("RUNWAY_GITHUB_PRIVATE_KEY", KEYS.pkcs8Pem());

    assertAuthenticatedListSucceeded(cli.run("list"));
  }

  @Test
  void a_private_key_command_is_run_without_a_shell() {
    Path key = KEYS.writePkcs8(tempDir, "key with space.pem");

    assertAuthenticatedListSucceeded(
        cli.run(
            "list", "--app-id", CliHarness.APP_ID, "--private-key-command", "cat '" + key + "'"));
  }

  @Test
  void a_failing_private_key_command_is_a_usage_error_naming_the_program() {
    CliHarness.Result result =
        cli.run("list", "--app-id", "1", "--private-key-command", "false --ignored");

    assertThat(result.exitCode()).isEqualTo(2);
    assertThat(result.err().lines())
        .singleElement()
        .asString()
        .isEqualTo(
            "error: no private key: tried --private-key-command false (exited with status 1)");
  }

  @Test
  void a_profile_supplies_app_id_key_and_api_url() throws Exception {
    Path key = KEYS.writePkcs1(tempDir, "profile.pem");
    Path config = tempDir.resolve("profiles.yaml");
    Files.writeString(
        config,
        "profiles:\n"
            + "  staging:\n"
            + "    app_id: 1\n"
            + "    private_key_file: /nonexistent\n"
            + "  production:\n"
            + "    app_id: "
            + CliHarness.APP_ID
            + "\n"
            + "    private_key_file: "
            + key
            + "\n"
            + "    api_url: "
            + cli.github.apiUrl()
            + "\n");
    cli.env.remove("RUNWAY_GITHUB_API_URL");
    cli.env.put("RUNWAY_CONFIG", config.toString());

    assertAuthenticatedListSucceeded(cli.run("list", "--profile", "production"));
  }

  @Test
  void the_default_profile_file_lives_under_home() throws Exception {
    Path dir = Files.createDirectories(tempDir.resolve(".config/runway"));
    KEYS.writePkcs1(tempDir, "home.pem");
    Files.writeString(
        dir.resolve("profiles.yaml"),
        "canary:\n  app_id: \"" + CliHarness.APP_ID + "\"\n  private_key_file: ~/home.pem\n");

    assertAuthenticatedListSucceeded(cli.run("list", "--profile", "canary"));
  }

  @Test
  void flags_override_the_environment_which_overrides_the_profile() throws Exception {
    Path good = KEYS.writePkcs1(tempDir, "good.pem");
    Path config = tempDir.resolve("profiles.yaml");
    Files.writeString(config, "p:\n  app_id: 999\n  private_key_file: /nonexistent/profile.pem\n");
    cli.env.put("RUNWAY_CONFIG", config.toString());
    cli.env.put("RUNWAY_GITHUB_APP_ID", CliHarness.APP_ID);
    cli.env.put("RUNWAY_GITHUB_PRIVATE_KEY_FILE", "/nonexistent/env.pem");

    assertAuthenticatedListSucceeded(
        cli.run("list", "--profile", "p", "--private-key-file", good.toString()));
  }

  @Test
  void a_missing_key_exits_2_with_one_line_naming_the_source_tried() {
    CliHarness.Result result =
        cli.run("list", "--app-id", "1", "--private-key-file", "/nonexistent/key.pem");

    assertThat(result.exitCode()).isEqualTo(2);
    assertThat(result.out()).isEmpty();
    assertThat(result.err().lines())
        .singleElement()
        .asString()
        .isEqualTo(
            "error: no private key: tried --private-key-file /nonexistent/key.pem (no such file)");
    assertThat(cli.github.allRequests()).isEmpty();
  }

  @Test
  void no_key_source_at_all_exits_2_and_lists_the_sources() {
    CliHarness.Result result = cli.run("list", "--app-id", "1");

    assertThat(result.exitCode()).isEqualTo(2);
    assertThat(result.err().lines())
        .singleElement()
        .asString()
        .startsWith("error: no private key: set --private-key-file, --private-key-command,");
  }

  @Test
  void an_unparsable_key_exits_2_without_quoting_it() {
    cli.env.put("RUNWAY_GITHUB_PRIVATE_KEY", "-----BEGIN RSA PRIVATE KEY-----\nc2VjcmV0\n");

    CliHarness.Result result = cli.run("list", "--app-id", "1");

    assertThat(result.exitCode()).isEqualTo(2);
    assertThat(result.err()).startsWith("error: no private key: tried RUNWAY_GITHUB_PRIVATE_KEY (");
    assertThat(result.err()).doesNotContain("c2VjcmV0");
  }

  @Test
  void a_missing_app_id_exits_2() {
    CliHarness.Result result = cli.run("list", "--private-key-file", cli.keyFile.toString());

    assertThat(result.exitCode()).isEqualTo(2);
    assertThat(result.err()).startsWith("error: no App id");
  }

  @Test
  void an_unknown_profile_exits_2() throws Exception {
    Path config = Files.writeString(tempDir.resolve("profiles.yaml"), "profiles: {}\n");
    cli.env.put("RUNWAY_CONFIG", config.toString());

    CliHarness.Result result = cli.run("list", "--profile", "nope");

    assertThat(result.exitCode()).isEqualTo(2);
    assertThat(result.err())
        .isEqualTo("error: no profile 'nope' in " + config + System.lineSeparator());
  }
}

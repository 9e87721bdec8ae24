package dev.runway.cli.deliveries;

import static org.assertj.core.api.Assertions.assertThat;

import dev.runway.Main;
import dev.runway.platform.github.TestKeys;
import java.io.PrintWriter;
import java.io.StringWriter;
import java.nio.file.Path;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class DeliveriesCommandTest {

  record Run(int exit, String out, String err) {}

  static Run run(Map<String, String> env, String... args) {
    StringWriter out = new StringWriter();
    StringWriter err = new StringWriter();
    int exit = Main.commandLine(env, new PrintWriter(out), new PrintWriter(err)).execute(args);
    return new Run(exit, out.toString(), err.toString());
  }

  @Test
  void a_credentials_error_is_one_stderr_line_and_exit_2() {
    Run run =
        run(
            Map.of("RUNWAY_GITHUB_APP_ID", "1"),
            "deliveries",
            "list",
            "--private-key-file",
            "/nonexistent.pem");

    assertThat(run.exit()).isEqualTo(2);
    assertThat(run.out()).isEmpty();
    assertThat(run.err().lines())
        .singleElement()
        .asString()
        .isEqualTo(
            "error: no private key: tried --private-key-file /nonexistent.pem (no such file)");
  }

  @Test
  void a_bad_flag_is_one_stderr_line_naming_the_help_and_exit_2() {
    Run run = run(Map.of(), "deliveries", "list", "--no-such-flag");

    assertThat(run.exit()).isEqualTo(2);
    assertThat(run.out()).isEmpty();
    assertThat(run.err().lines())
        .singleElement()
        .asString()
        .startsWith("error: Unknown option: '--no-such-flag'")
        .endsWith("(see 'runway deliveries list --help')");
  }

  @Test
  void every_subcommand_has_help() {
    StringWriter out = new StringWriter();
    var cli = Main.commandLine(Map.of(), new PrintWriter(out), new PrintWriter(new StringWriter()));

    for (String sub : new String[] {"list", "histogram", "show", "redeliver"}) {
      assertThat(cli.execute("deliveries", sub, "--help")).isZero();
    }
    assertThat(out.toString())
        .contains("--since", "--workflow-job-id", "--private-key-command", "--by", "--dry-run");
  }

  @Test
  void the_environment_is_read_from_the_injected_map_only() {
    Run run = run(Map.of(), "deliveries", "list");

    assertThat(run.exit()).isEqualTo(2);
    assertThat(run.err()).startsWith("error: no App id");
  }

  /**
   * The window and the parallelism are refused by the command line as usage errors (exit 2), before
   * any call to GitHub; the redelivery classes behind it only guard against a caller's bug.
   */
  @Test
  void a_window_that_ends_before_it_starts_or_no_parallelism_is_a_usage_error(@TempDir Path dir)
      throws Exception {
    Map<String, String> env =
        Map.of(
            "RUNWAY_GITHUB_APP_ID", "1",
            "RUNWAY_GITHUB_PRIVATE_KEY_FILE",
                TestKeys.generate().writePkcs1(dir, "app.pem").toString(),
            "RUNWAY_GITHUB_API_URL", "http://127.0.0.1:9");

    Run window = run(env, "deliveries", "list", "--since", "1h", "--until", "2h");
    Run parallelism = run(env, "deliveries", "histogram", "--parallelism", "0");

    assertThat(window.exit()).isEqualTo(2);
    assertThat(window.err().lines()).singleElement().asString().contains("is before --since");
    assertThat(parallelism.exit()).isEqualTo(2);
    assertThat(parallelism.err().lines())
        .singleElement()
        .asString()
        .isEqualTo("error: --parallelism must be at least 1");
  }
}

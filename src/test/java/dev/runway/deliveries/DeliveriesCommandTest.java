package dev.runway.deliveries;

import static org.assertj.core.api.Assertions.assertThat;

import java.io.PrintWriter;
import java.io.StringWriter;
import java.util.Map;
import org.junit.jupiter.api.Test;
import picocli.CommandLine;
import picocli.CommandLine.Command;

class DeliveriesCommandTest {

  @Command(name = "runway", mixinStandardHelpOptions = true)
  static final class Root implements Runnable {
    @Override
    public void run() {}
  }

  @Test
  void mounted_under_a_plain_root_command_it_still_maps_errors_to_exit_codes() {
    StringWriter out = new StringWriter();
    StringWriter err = new StringWriter();
    CommandLine root =
        new CommandLine(new Root())
            .addSubcommand(new DeliveriesCommand(Map.of("RUNWAY_GITHUB_APP_ID", "1")));
    root.setOut(new PrintWriter(out));
    root.setErr(new PrintWriter(err));

    int exit = root.execute("deliveries", "list", "--private-key-file", "/nonexistent.pem");

    assertThat(exit).isEqualTo(2);
    assertThat(out.toString()).isEmpty();
    assertThat(err.toString().lines())
        .singleElement()
        .asString()
        .isEqualTo(
            "error: no private key: tried --private-key-file /nonexistent.pem (no such file)");
  }

  @Test
  void every_subcommand_has_help() {
    StringWriter out = new StringWriter();
    CommandLine cli =
        DeliveriesCommand.commandLine(
            Map.of(), new PrintWriter(out), new PrintWriter(new StringWriter()));

    for (String sub : new String[] {"list", "histogram", "show", "redeliver"}) {
      assertThat(cli.execute(sub, "--help")).isZero();
    }
    assertThat(out.toString())
        .contains("--since", "--workflow-job-id", "--private-key-command", "--by", "--dry-run");
  }

  @Test
  void the_environment_is_read_from_the_injected_map_only() {
    StringWriter err = new StringWriter();
    int exit =
        DeliveriesCommand.commandLine(
                Map.of(), new PrintWriter(new StringWriter()), new PrintWriter(err))
            .execute("list");

    assertThat(exit).isEqualTo(2);
    assertThat(err.toString()).startsWith("error: no App id");
  }
}

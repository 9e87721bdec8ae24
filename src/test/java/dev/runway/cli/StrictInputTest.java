package dev.runway.cli;

import static org.assertj.core.api.Assertions.assertThat;

import dev.runway.Main;
import dev.runway.cli.CliConventionsTest.Run;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import picocli.CommandLine;
import picocli.CommandLine.Model.OptionSpec;

/**
 * Input that should be refused is refused before anything runs, as a usage error (exit 2) that says
 * what would have been accepted. None of these needs a database: the refusal comes first.
 */
class StrictInputTest {
  static Run run(String... args) {
    return CliConventionsTest.run(args);
  }

  @Test
  void a_status_that_is_not_one_exits_2_with_the_allowed_values() {
    Run run = run("jobs", "list", "--status", "nope");

    assertThat(run.exit()).isEqualTo(ExitCodes.USAGE);
    assertThat(run.out()).isEmpty();
    assertThat(run.err())
        .startsWith("error: ")
        .contains("--status", "'nope'", "waiting, queued, claimed, in_progress, completed");
  }

  @Test
  void an_outcome_that_is_not_one_exits_2() {
    Run run = run("jobs", "list", "--outcome", "no_such_outcome");

    assertThat(run.exit()).isEqualTo(ExitCodes.USAGE);
    assertThat(run.err()).contains("no_matching_pool");
  }

  @Test
  void a_format_that_is_not_one_exits_2_on_every_command_that_has_one() {
    for (String[] args :
        List.of(
            new String[] {"jobs", "list", "--format", "yaml"},
            new String[] {"pools", "list", "--format", "yaml"},
            new String[] {"doctor", "--format", "yaml"},
            new String[] {"deliveries", "list", "--format", "yaml"})) {
      Run run = run(args);
      assertThat(run.exit()).as(String.join(" ", args)).isEqualTo(ExitCodes.USAGE);
      assertThat(run.err()).as(String.join(" ", args)).contains("yaml").contains("json");
    }
  }

  @Test
  void a_bad_since_exits_2_naming_the_option() {
    Run run = run("jobs", "list", "--since", "yesterday");

    assertThat(run.exit()).isEqualTo(ExitCodes.USAGE);
    assertThat(run.err()).contains("--since", "yesterday", "2h");
  }

  @Test
  void a_bad_wait_exits_2() {
    Run run = run("pools", "list", "--wait", "soon");

    assertThat(run.exit()).isEqualTo(ExitCodes.USAGE);
    assertThat(run.err()).contains("--wait");
  }

  @Test
  void a_token_for_a_pool_the_source_does_not_list_is_refused_naming_the_pools_it_lists(
      @TempDir Path dir) throws Exception {
    Path pools = dir.resolve("pools.yaml");
    Files.writeString(
        pools,
        """
        pools:
          - name: linux-x64
            labels: [linux, x64]
          - name: macos
            labels: [macos]
        """);
    Run run =
        CliConventionsTest.run(
            Map.of("RUNWAY_POOLS", "file:" + pools), "pools", "token", "create", "nosuchpool");

    assertThat(run.exit()).isEqualTo(ExitCodes.USAGE);
    assertThat(run.out()).as("no token printed").isEmpty();
    assertThat(run.err()).contains("nosuchpool", "linux-x64, macos", "--force");
  }

  @Test
  void a_token_for_a_pool_is_refused_when_the_source_lists_none(@TempDir Path dir)
      throws Exception {
    Path pools = dir.resolve("pools.yaml");
    Files.writeString(pools, "pools: []\n");
    Run run =
        CliConventionsTest.run(
            Map.of(), "pools", "token", "create", "local", "--pools", "file:" + pools);

    assertThat(run.exit()).isEqualTo(ExitCodes.USAGE);
    assertThat(run.err()).contains("lists no pools");
  }

  @Test
  void github_app_create_warns_that_github_cannot_reach_a_loopback_url() {
    for (String url : java.util.List.of("http://127.0.0.1:8080", "http://localhost:8080")) {
      Run run = run("github-app", "create", "--url", url, "--print-manifest");
      assertThat(run.exit()).isZero();
      assertThat(run.err()).as(url).contains("GitHub cannot reach " + url);
    }
    Run reachable =
        run("github-app", "create", "--url", "https://runway.example.com", "--print-manifest");
    assertThat(reachable.err()).isEmpty();
  }

  /** The rule behind the refusals: no closed option of any command takes free text. */
  @Test
  void every_format_status_and_outcome_option_of_every_command_is_a_closed_set() {
    List<String> open = new ArrayList<>();
    walk(Main.commandLine(Map.of(), null, null), open);

    assertThat(open).as("options that accept any value").isEmpty();
  }

  /** The first description line is the summary `runway --help` lists: a whole sentence. */
  @Test
  void every_command_summary_is_a_whole_sentence() {
    List<String> cut = new ArrayList<>();
    summaries(Main.commandLine(Map.of(), null, null), cut);

    assertThat(cut).as("summaries cut mid-sentence").isEmpty();
  }

  private static void summaries(CommandLine cmd, List<String> cut) {
    String[] description = cmd.getCommandSpec().usageMessage().description();
    if (description.length > 0 && !description[0].strip().matches(".*[.:)]$")) {
      cut.add(cmd.getCommandSpec().qualifiedName() + ": " + description[0]);
    }
    cmd.getSubcommands().values().forEach(sub -> summaries(sub, cut));
  }

  private static void walk(CommandLine cmd, List<String> open) {
    for (OptionSpec o : cmd.getCommandSpec().options()) {
      boolean closedByName = List.of("--format", "--status", "--outcome").contains(o.longestName());
      boolean closed =
          o.type().isEnum()
              || o.completionCandidates() instanceof Choices.Of
              || o.converters().length > 0;
      if (closedByName && !closed) {
        open.add(cmd.getCommandSpec().qualifiedName() + " " + o.longestName());
      }
    }
    cmd.getSubcommands().values().forEach(sub -> walk(sub, open));
  }
}

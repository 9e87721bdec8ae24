package dev.runway.cli.admin;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.runway.Main;
import dev.runway.testing.TestDatabases;
import java.io.PrintWriter;
import java.io.StringWriter;
import java.sql.Connection;
import java.sql.DriverManager;
import java.sql.Statement;
import java.util.Map;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

/** {@code runway repos set|unset|list} against real PostgreSQL: output, exit codes, validation. */
class ReposCommandIT {
  record Run(int exit, String out, String err) {}

  Map<String, String> env;
  String url;

  static Run run(Map<String, String> env, String... args) {
    StringWriter out = new StringWriter();
    StringWriter err = new StringWriter();
    int exit =
        Main.commandLine(env, new PrintWriter(out, true), new PrintWriter(err, true)).execute(args);
    return new Run(exit, out.toString(), err.toString());
  }

  @BeforeEach
  void database() {
    url = TestDatabases.fresh();
    env = Map.of("RUNWAY_DATABASE_URL", url, "RUNWAY_DATABASE_USER", "postgres");
    assertThat(run(env, "migrate").exit()).isZero();
  }

  @Test
  void settings_are_set_replaced_listed_and_unset() throws Exception {
    Run set = run(env, "repos", "set", "Acme/Big", "--max-concurrent", "2", "--weight", "0.5");
    assertThat(set.exit()).as(set.err()).isZero();
    assertThat(set.out()).contains("Acme/Big: max-concurrent 2, weight 0.5");
    // A second set replaces the first (case-insensitive name): no cap of its own, weight 3.
    assertThat(run(env, "repos", "set", "acme/big", "--weight", "3").exit()).isZero();
    try (Connection c = DriverManager.getConnection(url, "postgres", "postgres");
        Statement st = c.createStatement()) {
      st.executeUpdate(
          "insert into accounts (login, installation_id, runners_enabled, max_concurrent)"
              + " values ('acme', 1, true, 10)");
      st.executeUpdate(
          "insert into jobs (job_id, run_attempt, repository, owner_login, account_id, pool,"
              + " status, labels) select 1 + g, 1, 'acme/small', 'acme', a.id, 'linux',"
              + " case when g = 0 then 'claimed' else 'queued' end, '{linux}'"
              + " from accounts a, generate_series(0, 2) g");
    }

    Run table = run(env, "repos", "list");
    assertThat(table.exit()).as(table.err()).isZero();
    assertThat(table.out().lines())
        .first()
        .asString()
        .startsWith("REPOSITORY")
        .contains("MAX_CONCURRENT", "WEIGHT", "RUNNING", "QUEUED", "SHARE", "WAITING");
    assertThat(table.out()).containsPattern("acme/big +acme +- +3 +0 +0 +0.00 +-");
    assertThat(table.out()).containsPattern("acme/small +acme +- +1 +1 +2 +1.00 +yes");

    Run json = run(env, "repos", "list", "--account", "ACME", "--format", "json");
    assertThat(json.exit()).isZero();
    JsonNode rows = new ObjectMapper().readTree(json.out());
    assertThat(rows).hasSize(2);
    assertThat(rows.get(1).get("repository").asText()).isEqualTo("acme/small");
    assertThat(rows.get(1).get("waiting_in").get(0).asText()).isEqualTo("linux");
    assertThat(run(env, "repos", "list", "--account", "globex").out().lines()).hasSize(1);

    assertThat(run(env, "repos", "unset", "ACME/big").out()).contains("settings removed");
    assertThat(run(env, "repos", "unset", "acme/big").out()).contains("had no settings");
    assertThat(run(env, "repos", "list").out()).doesNotContain("acme/big");
  }

  @Test
  void bad_input_is_a_usage_error_that_changes_nothing() {
    for (String[] args :
        new String[][] {
          {"repos", "set", "acme"},
          {"repos", "set", "acme/big/x"},
          {"repos", "set", "/big"},
          {"repos", "set", "acme/big", "--max-concurrent", "-1"},
          {"repos", "set", "acme/big", "--weight", "0"},
          {"repos", "set", "acme/big", "--weight", "-2"},
          {"repos", "set", "acme/big", "--weight", "many"},
          {"repos", "unset", "acme"},
          {"repos", "list", "--format", "yaml"}
        }) {
      Run r = run(env, args);
      assertThat(r.exit()).as(String.join(" ", args)).isEqualTo(2);
      assertThat(r.err()).as(String.join(" ", args)).isNotBlank();
    }
    assertThat(run(env, "repos", "list").out().lines()).hasSize(1);
  }
}

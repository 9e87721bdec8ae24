package dev.runway.cli;

import static org.assertj.core.api.Assertions.assertThat;

import dev.runway.Main;
import dev.runway.testing.TestDatabases;
import java.io.PrintWriter;
import java.io.StringWriter;
import java.nio.file.Files;
import java.nio.file.Path;
import java.sql.DriverManager;
import java.sql.ResultSet;
import java.util.HashMap;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** The operator commands, run as the jar runs them, with their exit codes and output. */
class CliIT {
  record Run(int exit, String out, String err) {}

  static Run run(Map<String, String> env, String... args) {
    StringWriter out = new StringWriter();
    StringWriter err = new StringWriter();
    int exit =
        Main.commandLine(env, new PrintWriter(out, true), new PrintWriter(err, true)).execute(args);
    return new Run(exit, out.toString(), err.toString());
  }

  @Test
  void serve_and_migrate_have_help() {
    Run serve = run(Map.of(), "serve", "--help");
    assertThat(serve.exit()).isZero();
    assertThat(serve.out())
        .contains("--port", "--database-url", "--pools", "RUNWAY_WEBHOOK_SECRETS");
    assertThat(run(Map.of(), "migrate", "--help").exit()).isZero();
    assertThat(run(Map.of(), "--help").out())
        .contains("serve", "migrate", "accounts", "pools", "jobs", "deliveries");
  }

  @Test
  void serve_refuses_bad_configuration_with_the_variable_named() {
    Run noSecret = run(Map.of(), "serve");
    assertThat(noSecret.exit()).isEqualTo(2);
    assertThat(noSecret.err()).contains("RUNWAY_WEBHOOK_SECRETS");
    Run badPort = run(Map.of("RUNWAY_WEBHOOK_SECRETS", "x"), "serve", "--port", "99999");
    assertThat(badPort.exit()).isEqualTo(2);
    assertThat(badPort.err()).contains("RUNWAY_PORT");
  }

  @Test
  void migrate_needs_a_url_and_applies_the_schema() throws Exception {
    Run missing = run(Map.of(), "migrate");
    assertThat(missing.exit()).isEqualTo(2);
    assertThat(missing.err()).contains("RUNWAY_DATABASE_URL");
    assertThat(missing.err().lines()).singleElement().asString().startsWith("error: ");

    String url = TestDatabases.fresh();
    Run ok = run(Map.of("RUNWAY_DATABASE_URL", url, "RUNWAY_DATABASE_USER", "postgres"), "migrate");
    assertThat(ok.exit()).as(ok.err()).isZero();
    try (var c = DriverManager.getConnection(url, "postgres", "postgres");
        ResultSet rs =
            c.createStatement()
                .executeQuery(
                    "select count(*) from information_schema.tables where table_name in ('inbox','jobs','accounts','scheduled_tasks')")) {
      rs.next();
      assertThat(rs.getInt(1)).isEqualTo(4);
    }
  }

  @Test
  void a_pool_token_is_created_for_a_listed_pool_and_for_an_unlisted_one_only_with_force(
      @TempDir Path dir) throws Exception {
    Path pools = dir.resolve("pools.yaml");
    Files.writeString(pools, "pools:\n  - name: local\n    labels: [linux]\n");
    Map<String, String> env = new HashMap<>();
    env.put("RUNWAY_DATABASE_URL", TestDatabases.fresh());
    env.put("RUNWAY_DATABASE_USER", "postgres");
    env.put("RUNWAY_POOLS", "file:" + pools);
    assertThat(run(env, "migrate").exit()).isZero();

    Run listed = run(env, "pools", "token", "create", "local");
    assertThat(listed.exit()).as(listed.err()).isZero();
    assertThat(listed.out()).startsWith("rwy_");

    assertThat(run(env, "pools", "token", "create", "later").exit()).isEqualTo(2);
    Run forced = run(env, "pools", "token", "create", "later", "--force");
    assertThat(forced.exit()).as(forced.err()).isZero();
    assertThat(run(env, "pools", "token", "list").out()).contains("local").contains("later");
  }

  @Test
  void a_command_without_a_database_says_on_stderr_that_it_starts_a_temporary_one(
      @TempDir Path dir) {
    Run run = run(Map.of(), "accounts", "list", "--data-dir", dir.resolve("data").toString());

    assertThat(run.exit()).as(run.err()).isZero();
    assertThat(run.err())
        .contains("starting a temporary embedded PostgreSQL")
        .contains("RUNWAY_DATABASE_URL")
        .contains("runway serve");
    assertThat(run.out()).doesNotContain("temporary");
  }

  @Test
  void accounts_can_be_set_listed_and_disabled() {
    Map<String, String> env = new HashMap<>();
    env.put("RUNWAY_DATABASE_URL", TestDatabases.fresh());
    env.put("RUNWAY_DATABASE_USER", "postgres");
    assertThat(run(env, "migrate").exit()).isZero();

    Run set =
        run(
            env,
            "accounts",
            "set",
            "acme",
            "--installation-id",
            "4242",
            "--max-concurrent",
            "5",
            "--enabled");
    assertThat(set.exit()).as(set.err()).isZero();
    assertThat(set.out()).contains("acme").contains("4242").contains("true");
    assertThat(run(env, "accounts", "set", "acme", "--max-concurrent", "-1").exit()).isEqualTo(2);
    assertThat(run(env, "accounts", "set", "acme", "--enabled", "--disabled").exit()).isEqualTo(2);

    Run list = run(env, "accounts", "list");
    assertThat(list.out()).contains("LOGIN").containsPattern("acme\\s+4242\\s+true\\s+5");
    Run disable = run(env, "accounts", "disable", "ACME");
    assertThat(disable.exit()).isZero();
    assertThat(run(env, "accounts", "list").out()).containsPattern("acme\\s+4242\\s+false\\s+5");
    Run nobody = run(env, "accounts", "disable", "nobody");
    assertThat(nobody.exit()).isEqualTo(1);
    assertThat(nobody.err().lines()).containsExactly("error: no account nobody");
    Run badFlag = run(env, "accounts", "list", "--no-such-flag");
    assertThat(badFlag.exit()).isEqualTo(2);
    assertThat(badFlag.err().lines()).singleElement().asString().startsWith("error: ");
  }

  @Test
  void pools_list_prints_what_the_pools_file_serves(@TempDir Path dir) throws Exception {
    Path file = dir.resolve("pools.yaml");
    Files.writeString(
        file, "pools:\n  - name: linux-x64\n    labels: [linux, x64]\n    maxRunners: 3\n");
    Run table = run(Map.of("RUNWAY_POOLS", "file:" + file), "pools", "list");
    assertThat(table.exit()).as(table.err()).isZero();
    assertThat(table.out()).contains("linux-x64").contains("x64");
    Run json = run(Map.of(), "pools", "list", "--pools", "file:" + file, "--format", "json");
    assertThat(json.out()).contains("\"linux-x64\"");
    Run missing =
        run(
            Map.of(),
            "pools",
            "list",
            "--pools",
            "file:" + dir.resolve("nope.yaml"),
            "--wait",
            "1s");
    assertThat(missing.exit()).isEqualTo(1);
    assertThat(missing.out() + missing.err()).contains("unavailable");
  }
}

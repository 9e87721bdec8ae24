package dev.runway.operators;

import static org.assertj.core.api.Assertions.assertThat;

import dev.runway.Main;
import dev.runway.platform.auth.BearerTokens;
import dev.runway.platform.db.Database;
import dev.runway.testing.TestDatabases;
import io.micrometer.core.instrument.simple.SimpleMeterRegistry;
import java.io.PrintWriter;
import java.io.StringWriter;
import java.sql.Connection;
import java.sql.DriverManager;
import java.sql.ResultSet;
import java.time.Clock;
import java.util.HashMap;
import java.util.Map;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

/**
 * Operator tokens end to end against a real PostgreSQL: made, listed and revoked with the CLI as
 * the jar runs it, stored only as hashes, and checked by the authenticator the management listener
 * (and later the web UI) uses.
 */
class OperatorTokensIT {
  record Run(int exit, String out, String err) {}

  final Map<String, String> env = new HashMap<>();
  final SimpleMeterRegistry registry = new SimpleMeterRegistry();
  String url;

  @BeforeEach
  void database() {
    url = TestDatabases.fresh();
    env.put("RUNWAY_DATABASE_URL", url);
    env.put("RUNWAY_DATABASE_USER", "postgres");
    env.put("RUNWAY_DATABASE_PASSWORD", "postgres");
    assertThat(run("migrate").exit()).isZero();
  }

  Run run(String... args) {
    StringWriter out = new StringWriter();
    StringWriter err = new StringWriter();
    int exit =
        Main.commandLine(env, new PrintWriter(out, true), new PrintWriter(err, true)).execute(args);
    return new Run(exit, out.toString(), err.toString());
  }

  OperatorAuthenticator authenticator(String jdbcUrl) {
    Database db = Database.open(new Database.Target(jdbcUrl, "postgres", "postgres"), 2);
    return new OperatorAuthenticator(db.main(), new OperatorTokens(), Clock.systemUTC(), registry);
  }

  double count(String result) {
    var c = registry.find("runway.admin.requests").tag("result", result).counter();
    return c == null ? 0 : c.count();
  }

  @Test
  void a_token_is_printed_once_stored_as_its_hash_and_listed_without_it() throws Exception {
    Run created = run("operators", "token", "create", "alice");
    assertThat(created.exit()).as(created.err()).isZero();
    String token = created.out().trim();
    assertThat(token).startsWith("rwo_").hasSizeGreaterThan(40);
    assertThat(created.err()).contains("operator token 1 for alice").doesNotContain(token);

    try (Connection c = DriverManager.getConnection(url, "postgres", "postgres");
        ResultSet rs = c.createStatement().executeQuery("select * from operator_tokens")) {
      rs.next();
      assertThat(rs.getBytes("token_hash")).isEqualTo(BearerTokens.hash(token));
      for (int i = 1; i <= rs.getMetaData().getColumnCount(); i++) {
        assertThat(String.valueOf(rs.getObject(i))).doesNotContain(token.substring(4));
      }
    }

    Run list = run("operators", "token", "list");
    assertThat(list.exit()).isZero();
    assertThat(list.out()).contains("NAME").containsPattern("1\\s+alice").doesNotContain(token);
  }

  @Test
  void the_authenticator_knows_live_tokens_and_refuses_wrong_missing_and_revoked_ones() {
    String alice = run("operators", "token", "create", "alice").out().trim();
    String bob = run("operators", "token", "create", "bob").out().trim();
    OperatorAuthenticator auth = authenticator(url);

    assertThat(auth.authenticate(alice))
        .isEqualTo(
            new OperatorAuthenticator.Authenticated(new OperatorTokens.Operator(1, "alice")));
    assertThat(auth.authenticate(bob))
        .isEqualTo(new OperatorAuthenticator.Authenticated(new OperatorTokens.Operator(2, "bob")));
    assertThat(auth.authenticate(alice + "x")).isEqualTo(new OperatorAuthenticator.Rejected(true));
    assertThat(auth.authenticate(null)).isEqualTo(new OperatorAuthenticator.Rejected(false));
    // A pool token's format is no operator token.
    assertThat(auth.authenticate("rwy_" + alice.substring(4)))
        .isEqualTo(new OperatorAuthenticator.Rejected(true));

    Run revoke = run("operators", "token", "revoke", "1");
    assertThat(revoke.exit()).isZero();
    assertThat(auth.authenticate(alice)).isEqualTo(new OperatorAuthenticator.Rejected(true));
    assertThat(auth.authenticate(bob)).isInstanceOf(OperatorAuthenticator.Authenticated.class);
    assertThat(run("operators", "token", "revoke", "1").exit()).isEqualTo(1);
    assertThat(run("operators", "token", "list").out())
        .containsPattern("1\\s+alice\\s+\\S+\\s+\\S+\\s+\\d{4}-");

    assertThat(count("authorized")).isEqualTo(3);
    assertThat(count("invalid_token")).isEqualTo(3);
    assertThat(count("missing_token")).isEqualTo(1);
  }

  @Test
  void a_database_that_does_not_answer_is_unavailable_not_a_rejection() throws Exception {
    int closedPort;
    try (var s = new java.net.ServerSocket(0)) {
      closedPort = s.getLocalPort();
    }
    OperatorAuthenticator auth =
        authenticator("jdbc:postgresql://127.0.0.1:" + closedPort + "/postgres");
    assertThat(auth.authenticate("rwo_anything"))
        .isEqualTo(new OperatorAuthenticator.Unavailable());
    assertThat(count("unavailable")).isEqualTo(1);
  }

  @Test
  void a_blank_name_is_a_usage_error() {
    assertThat(run("operators", "token", "create", " ").exit()).isEqualTo(2);
  }

  @Test
  void without_a_name_the_token_is_for_admin_so_no_USER_variable_is_needed() {
    Run created = run("operators", "token", "create");

    assertThat(created.exit()).as(created.err()).isZero();
    assertThat(created.out().trim()).startsWith("rwo_");
    assertThat(created.err()).contains("for admin");
  }
}

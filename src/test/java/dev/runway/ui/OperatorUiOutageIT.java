package dev.runway.ui;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import dev.runway.operators.OperatorTokens;
import dev.runway.testing.PostgresProcess;
import dev.runway.testing.RunwayHarness;
import dev.runway.testing.ServiceProcess;
import dev.runway.testing.Signed;
import java.net.http.HttpResponse;
import java.nio.file.Files;
import java.nio.file.Path;
import java.sql.Connection;
import java.time.Duration;
import java.util.Map;
import java.util.UUID;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The UI while PostgreSQL is down: an operator already logged in gets a page that says so (503),
 * actions change nothing, a new login answers 503 instead of "wrong token", webhooks are still
 * taken into the spool, and everything comes back by itself when PostgreSQL does.
 */
class OperatorUiOutageIT {
  @TempDir Path dir;
  PostgresProcess pg;
  RunwayHarness svc;

  @AfterEach
  void stop() throws Exception {
    if (svc != null) {
      svc.close();
    }
    if (pg != null) {
      pg.close();
    }
  }

  @Test
  void with_the_database_down_pages_say_so_and_come_back_with_it() throws Exception {
    pg = new PostgresProcess(dir.resolve("pg"), ServiceProcess.freePort()).start();
    Files.writeString(
        dir.resolve("pools.yaml"), "pools:\n  - name: linux-x64\n    labels: [linux, x64]\n");
    svc = RunwayHarness.start(dir, pg.jdbcUrl(), Map.of());
    svc.exec(
        "insert into accounts (login, installation_id, runners_enabled, max_concurrent)"
            + " values ('acme', 4242, true, 10)");
    String token;
    try (Connection c = svc.connect()) {
      token = new OperatorTokens().create(c, "oncall").secret();
    }
    UiClient ui = new UiClient(svc.adminBase());
    String session = ui.login(token);
    HttpResponse<String> accounts = ui.get("/ui/accounts", session);
    assertThat(accounts.statusCode()).isEqualTo(200);
    String csrf = UiClient.csrf(accounts.body());

    pg.close();
    HttpResponse<String> page = ui.get("/ui/jobs", session);
    assertThat(page.statusCode()).isEqualTo(503);
    assertThat(page.body()).contains("Database unavailable");
    assertThat(
            ui.post(
                    "/ui/accounts/acme",
                    session,
                    Map.of("enabled", "false", "max_concurrent", "0", "_csrf", csrf))
                .statusCode())
        .isEqualTo(503);
    HttpResponse<String> form = ui.get("/ui/login", null);
    assertThat(form.statusCode()).isEqualTo(200);
    HttpResponse<String> login =
        ui.post(
            "/ui/login",
            UiClient.cookie(form, UiAuth.LOGIN_COOKIE),
            Map.of("token", token, "_csrf", UiClient.csrf(form.body())));
    assertThat(login.statusCode()).isEqualTo(503);
    assertThat(login.body()).contains("cannot be checked");

    long job = 91_001;
    String guid = UUID.randomUUID().toString();
    HttpResponse<String> webhook =
        svc.post("workflow_job", guid, Signed.workflowJob("queued", job, "linux", "x64"));
    assertThat(webhook.statusCode()).isEqualTo(202);
    assertThat(webhook.body()).contains("spooled");

    pg.start();
    await()
        .atMost(Duration.ofSeconds(60))
        .untilAsserted(
            () -> {
              HttpResponse<String> back = ui.get("/ui/jobs/" + job + "/1", session);
              assertThat(back.statusCode()).isEqualTo(200);
              assertThat(back.body()).contains("yes, in pool linux-x64");
            });
    assertThat(svc.text("select runners_enabled::text from accounts where login = 'acme'"))
        .isEqualTo("true");
  }
}

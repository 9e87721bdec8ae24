package dev.runway.ingest.webhook;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import com.fasterxml.jackson.databind.ObjectMapper;
import dev.runway.platform.config.RunwayConfig;
import dev.runway.testing.RunwayHarness;
import dev.runway.testing.ServiceProcess;
import dev.runway.testing.Signed;
import io.zonky.test.db.postgres.embedded.EmbeddedPostgres;
import java.net.http.HttpResponse;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicInteger;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The incident's first half: PostgreSQL goes away in the middle of a stream of deliveries. Every
 * request must still be answered 2xx well inside GitHub's 10 s, and every delivery must end up in
 * the inbox exactly once when the database is back.
 */
class DatabaseOutageIT {
  @TempDir Path dir;
  EmbeddedPostgres pg;
  RunwayHarness svc;

  private EmbeddedPostgres startPostgres(int port) throws Exception {
    return EmbeddedPostgres.builder()
        .setDataDirectory(dir.resolve("pg"))
        .setCleanDataDirectory(false)
        .setPort(port)
        .start();
  }

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
  void deliveries_during_a_database_outage_are_spooled_and_land_exactly_once_after_it()
      throws Exception {
    int port = ServiceProcess.freePort();
    pg = startPostgres(port);
    svc =
        RunwayHarness.start(
            dir,
            pg.getJdbcUrl("postgres", "postgres"),
            Map.of(RunwayConfig.INTAKE_BUDGET, "500ms"));

    ObjectMapper json = new ObjectMapper();
    List<String> guids = new ArrayList<>();
    List<String> results = new ArrayList<>();
    AtomicInteger sent = new AtomicInteger();
    AtomicBoolean stopped = new AtomicBoolean();
    CompletableFuture<Void> stream =
        CompletableFuture.runAsync(
            () -> {
              try {
                int i = 0;
                // Keep sending until well after the stop, so the outage falls mid-stream.
                while (i < 60
                    || !stopped.get()
                    || results.stream().filter("spooled"::equals).count() < 30) {
                  String g = "outage-" + i;
                  HttpResponse<String> r =
                      svc.post("workflow_job", g, Signed.workflowJob("queued", 1000 + i, "linux"));
                  assertThat(r.statusCode())
                      .as("answer to %s: %s", g, r.body())
                      .isBetween(200, 299);
                  synchronized (results) {
                    guids.add(g);
                    results.add(json.readTree(r.body()).get("result").asText());
                  }
                  sent.incrementAndGet();
                  i++;
                }
              } catch (Exception e) {
                throw new IllegalStateException(e);
              }
            });

    await().atMost(Duration.ofSeconds(30)).until(() -> sent.get() >= 40);
    pg.close();
    stopped.set(true);
    stream.get();

    assertThat(results.subList(0, 40)).containsOnly("accepted");
    assertThat(results).contains("spooled");
    // Still ready: deliveries are stored durably, on disk.
    HttpResponse<String> ready = svc.get("/readyz");
    assertThat(ready.statusCode()).isEqualTo(200);
    assertThat(ready.body()).contains("\"database\":\"down\"");
    assertThat(Files.list(dir.resolve("spool")).count()).isPositive();

    pg = startPostgres(port);
    await()
        .atMost(Duration.ofSeconds(60))
        .until(() -> svc.count("select count(*) from inbox") == guids.size());
    assertThat(svc.count("select count(distinct guid) from inbox")).isEqualTo(guids.size());
    assertThat(svc.count("select count(*) from inbox where via_spool")).isPositive();
    await().atMost(Duration.ofSeconds(10)).until(() -> svc.metric("runway_spool_depth") == 0);
    // Every stored delivery reaches the worker once, spooled or not.
    await()
        .atMost(Duration.ofSeconds(60))
        .until(
            () ->
                svc.count("select count(*) from inbox where dispatch_attempts >= 1")
                    == guids.size());
  }

  @Test
  void a_commit_slower_than_a_request_waits_spools_that_request_but_keeps_the_database_up()
      throws Exception {
    int port = ServiceProcess.freePort();
    pg = startPostgres(port);
    // A long drain interval: were the database marked down, nothing would mark it up again here.
    svc =
        RunwayHarness.start(
            dir,
            pg.getJdbcUrl("postgres", "postgres"),
            Map.of(RunwayConfig.INTAKE_BUDGET, "5s", RunwayConfig.DRAIN_INTERVAL, "1h"));
    ObjectMapper json = new ObjectMapper();
    assertThat(svc.post("workflow_job", "slow-0", Signed.workflowJob("queued", 7000, "linux")))
        .extracting(r -> r.statusCode())
        .isEqualTo(202);

    HttpResponse<String> slow;
    try (java.sql.Connection lock = svc.connect()) {
      // The inbox is locked, so the next commit waits for as long as this transaction lasts.
      lock.setAutoCommit(false);
      lock.createStatement().execute("lock table inbox in access exclusive mode");
      slow = svc.post("workflow_job", "slow-1", Signed.workflowJob("queued", 7001, "linux"));
      lock.commit();
    }

    assertThat(slow.statusCode()).isEqualTo(202);
    assertThat(json.readTree(slow.body()).get("result").asText()).isEqualTo("spooled");
    assertThat(svc.metric("runway_spool_depth")).isEqualTo(1);
    // The late commit lands too; the spool's copy is a duplicate that its replay will skip.
    await().until(() -> svc.count("select count(*) from inbox where guid = 'slow-1'") == 1);
    HttpResponse<String> next =
        svc.post("workflow_job", "slow-2", Signed.workflowJob("queued", 7002, "linux"));
    assertThat(json.readTree(next.body()).get("result").asText()).isEqualTo("accepted");
    assertThat(svc.get("/readyz").body()).contains("\"database\":\"up\"");
  }

  @Test
  void a_full_spool_answers_503_with_retry_after_and_keeps_what_it_acknowledged() throws Exception {
    int port = ServiceProcess.freePort();
    pg = startPostgres(port);
    svc =
        RunwayHarness.start(
            dir,
            pg.getJdbcUrl("postgres", "postgres"),
            Map.of(RunwayConfig.SPOOL_MAX_BYTES, String.valueOf(1024 * 1024)));
    pg.close();

    // ~200 KB bodies: the 1 MiB spool takes a handful, then refuses.
    String padding = "x".repeat(200_000);
    List<String> acknowledged = new ArrayList<>();
    HttpResponse<String> refused = null;
    for (int i = 0; i < 20 && refused == null; i++) {
      String g = "full-" + i;
      String body =
          Signed.workflowJob("queued", 9000 + i, "linux")
              .replace("\"steps\":[]", "\"steps\":[],\"pad\":\"" + padding + "\"");
      HttpResponse<String> r = svc.post("workflow_job", g, body);
      if (r.statusCode() == 503) {
        refused = r;
      } else {
        assertThat(r.statusCode()).isEqualTo(202);
        acknowledged.add(g);
      }
    }
    assertThat(refused).as("the spool never filled up").isNotNull();
    assertThat(refused.headers().firstValue("Retry-After")).isPresent();
    assertThat(refused.body()).contains("RUNWAY_SPOOL_MAX_BYTES");
    assertThat(acknowledged).isNotEmpty();
    assertThat(
            svc.metric(
                "runway_webhook_requests_total{event=\"workflow_job\",result=\"unavailable\"}"))
        .isEqualTo(1);

    pg = startPostgres(port);
    await()
        .atMost(Duration.ofSeconds(60))
        .until(
            () ->
                svc.count("select count(*) from inbox where guid like 'full-%'")
                    == acknowledged.size());
  }
}

package dev.runway.ingest.webhook;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.ObjectMapper;
import dev.runway.platform.config.RunwayConfig;
import dev.runway.platform.http.HttpServer;
import dev.runway.testing.RunwayHarness;
import dev.runway.testing.Signed;
import dev.runway.testing.TestDatabases;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.io.UncheckedIOException;
import java.net.Socket;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.UUID;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The webhook path under traffic that is not GitHub's: event names GitHub really sends, slow
 * senders, stalled bodies that declare a large length, oversized headers. A real server on a free
 * port, a real PostgreSQL, and raw sockets where a well-behaved client would not do.
 */
class WebhookHardeningIT {
  @TempDir static Path dir;
  static RunwayHarness svc;
  final ObjectMapper json = new ObjectMapper();

  @BeforeAll
  static void start() throws Exception {
    svc =
        RunwayHarness.start(
            dir, TestDatabases.fresh(), Map.of(RunwayConfig.WEBHOOK_BODY_TIMEOUT, "1500ms"));
  }

  @AfterAll
  static void stop() {
    svc.close();
  }

  /** Trimmed but real-shaped payloads of events GitHub sends to an App, digits in names too. */
  static final Map<String, String> OTHER_EVENTS =
      Map.of(
          "projects_v2_item",
          """
          {"action":"edited","projects_v2_item":{"id":12345,"node_id":"PVTI_lADOBi","project_node_id":"PVT_kwDOBi",
           "content_node_id":"I_kwDOBi","content_type":"Issue","creator":{"login":"octocat"},
           "created_at":"2026-05-19T15:20:04Z","updated_at":"2026-05-19T15:21:04Z","archived_at":null},
           "changes":{"field_value":{"field_node_id":"PVTF_lADOBi","field_type":"single_select"}},
           "organization":{"login":"acme","id":7},"sender":{"login":"octocat"},"installation":{"id":4242}}""",
          "workflow_run",
          """
          {"action":"requested","workflow_run":{"id":10293081,"name":"CI","head_branch":"main","head_sha":"f0e1d2c3",
           "run_number":12,"event":"push","status":"queued","conclusion":null,"run_attempt":1},
           "workflow":{"id":161335,"name":"CI","path":".github/workflows/ci.yml"},
           "repository":{"id":1296269,"name":"app","full_name":"acme/app","owner":{"login":"acme","type":"Organization"}},
           "sender":{"login":"octocat"},"installation":{"id":4242}}""",
          "check_run",
          """
          {"action":"created","check_run":{"id":4,"head_sha":"f0e1d2c3","status":"queued","conclusion":null,
           "name":"build","check_suite":{"id":5}},
           "repository":{"id":1296269,"name":"app","full_name":"acme/app","owner":{"login":"acme","type":"Organization"}},
           "sender":{"login":"octocat"},"installation":{"id":4242}}""",
          "github_app_authorization",
          """
          {"action":"revoked","sender":{"login":"octocat","id":1}}""",
          "push",
          """
          {"ref":"refs/heads/main","before":"0000000000000000000000000000000000000000","after":"f0e1d2c3",
           "commits":[{"id":"f0e1d2c3","message":"fix","author":{"name":"Octo Cat"}}],
           "repository":{"id":1296269,"name":"app","full_name":"acme/app","owner":{"login":"acme","name":"acme"}},
           "pusher":{"name":"octocat"},"sender":{"login":"octocat"},"installation":{"id":4242}}""");

  @Test
  void events_with_digits_and_other_well_formed_names_are_acknowledged_as_ignored()
      throws Exception {
    for (var e : OTHER_EVENTS.entrySet()) {
      HttpResponse<String> r = svc.post(e.getKey(), UUID.randomUUID().toString(), e.getValue());
      assertThat(r.statusCode()).as(e.getKey()).isEqualTo(202);
      assertThat(json.readTree(r.body()).get("result").asText())
          .as(e.getKey())
          .isEqualTo("ignored_event");
    }
    assertThat(
            svc.metric(
                "runway_webhook_requests_total{event=\"projects_v2_item\",result=\"ignored_event\"}"))
        .isEqualTo(1);
  }

  @Test
  void stored_events_are_still_stored_next_to_them() throws Exception {
    String g = UUID.randomUUID().toString();
    HttpResponse<String> r =
        svc.post("workflow_job", g, Signed.workflowJob("queued", 7001, "linux"));
    assertThat(r.statusCode()).isEqualTo(202);
    assertThat(svc.count("select count(*) from inbox where guid = ?", g)).isEqualTo(1);
  }

  @Test
  void malformed_event_names_still_get_400() throws Exception {
    for (String bad : List.of("Workflow_Job", "workflow-job", "x".repeat(65), "ping\u00e9")) {
      HttpResponse<String> r =
          svc.post(bad, UUID.randomUUID().toString(), "{\"zen\":\"Keep it logically awesome.\"}");
      assertThat(r.statusCode()).as(bad).isEqualTo(400);
    }
  }

  @Test
  void a_sender_trickling_its_body_is_cut_off_at_the_deadline_with_408() throws Exception {
    byte[] body = Signed.workflowJob("queued", 7002, "linux").getBytes(StandardCharsets.UTF_8);
    try (Socket s = new Socket("127.0.0.1", svc.runway.port())) {
      s.setSoTimeout(10_000);
      OutputStream out = s.getOutputStream();
      out.write(head("slow-1", body.length));
      out.flush();
      // One byte every 100 ms keeps every single read well inside any idle timeout; a scheduler
      // paces the sender, so nothing in the test sleeps.
      ScheduledExecutorService trickle = Executors.newSingleThreadScheduledExecutor();
      AtomicInteger sent = new AtomicInteger();
      trickle.scheduleAtFixedRate(
          () -> {
            int i = sent.getAndIncrement();
            if (i >= body.length) {
              throw new IllegalStateException("whole body sent"); // ends the schedule
            }
            try {
              out.write(body[i]);
              out.flush();
            } catch (IOException closedByServer) {
              // expected: the server answered and closed; ends the schedule
              throw new UncheckedIOException(closedByServer);
            }
          },
          0,
          100,
          TimeUnit.MILLISECONDS);
      String answer;
      try {
        answer = readAll(s.getInputStream());
      } finally {
        trickle.shutdownNow();
      }
      // Either Runway's deadline or the idle timeout it cut to what remains of it ends the read
      // (which one wins depends on scheduling); both answer 408 and close the connection.
      assertThat(answer).startsWith("HTTP/1.1 408").containsIgnoringCase("Connection: close");
    }
    assertThat(svc.count("select count(*) from inbox where guid = 'slow-1'")).isZero();
  }

  @Test
  void stalled_bodies_declaring_24_mb_are_closed_with_408_while_a_good_delivery_gets_through()
      throws Exception {
    List<Socket> stalled = new ArrayList<>();
    try {
      for (int i = 0; i < 64; i++) {
        Socket s = new Socket("127.0.0.1", svc.runway.port());
        s.setSoTimeout(10_000);
        s.getOutputStream().write(head("stall-" + i, 24L * 1024 * 1024));
        s.getOutputStream().write(new byte[1024]);
        s.getOutputStream().flush();
        stalled.add(s);
      }
      String g = UUID.randomUUID().toString();
      HttpResponse<String> good =
          svc.post("workflow_job", g, Signed.workflowJob("queued", 7003, "linux"));
      assertThat(good.statusCode()).isEqualTo(202);
      assertThat(svc.count("select count(*) from inbox where guid = ?", g)).isEqualTo(1);
      for (Socket s : stalled) {
        // The server answers and closes; readAll returns at the close (EOF), not at our timeout.
        assertThat(readAll(s.getInputStream())).startsWith("HTTP/1.1 408");
      }
    } finally {
      for (Socket s : stalled) {
        s.close();
      }
    }
    assertThat(svc.count("select count(*) from inbox where guid like 'stall-%'")).isZero();
  }

  @Test
  void headers_over_the_limit_are_refused_before_any_handler_runs() throws Exception {
    byte[] body = Signed.workflowJob("queued", 7004, "linux").getBytes(StandardCharsets.UTF_8);
    try (Socket s = new Socket("127.0.0.1", svc.runway.port())) {
      s.setSoTimeout(10_000);
      OutputStream out = s.getOutputStream();
      out.write(
          head(
              "huge-header", body.length, "X-Padding: " + "a".repeat(HttpServer.MAX_HEADER_BYTES)));
      out.write(body);
      out.flush();
      assertThat(readAll(s.getInputStream())).startsWith("HTTP/1.1 431");
    }
    assertThat(svc.count("select count(*) from inbox where guid = 'huge-header'")).isZero();
  }

  private static byte[] head(String guid, long contentLength) {
    return head(guid, contentLength, "User-Agent: GitHub-Hookshot/test");
  }

  private static byte[] head(String guid, long contentLength, String extraHeader) {
    return ("POST /webhooks/github HTTP/1.1\r\nHost: x\r\n"
            + extraHeader
            + "\r\nX-GitHub-Event: workflow_job\r\n"
            + "X-GitHub-Delivery: "
            + guid
            + "\r\nContent-Type: application/json\r\nContent-Length: "
            + contentLength
            + "\r\n\r\n")
        .getBytes(StandardCharsets.US_ASCII);
  }

  /** Reads until the server closes the connection. */
  private static String readAll(InputStream in) throws IOException {
    ByteArrayOutputStream out = new ByteArrayOutputStream();
    byte[] buf = new byte[4096];
    int n;
    while ((n = in.read(buf)) != -1) {
      out.write(buf, 0, n);
    }
    return out.toString(StandardCharsets.ISO_8859_1);
  }
}

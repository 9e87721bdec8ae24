package dev.runway.ingest.webhook;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.runway.testing.RunwayHarness;
import dev.runway.testing.Signed;
import java.io.InputStream;
import java.io.OutputStream;
import java.net.Socket;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Set;
import java.util.UUID;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** The webhook endpoint against a real server on a free port and a real PostgreSQL. */
class WebhookIT {
  @TempDir static Path dir;
  static RunwayHarness svc;
  final ObjectMapper json = new ObjectMapper();

  @BeforeAll
  static void start() throws Exception {
    svc = RunwayHarness.start(dir);
  }

  @AfterAll
  static void stop() {
    svc.close();
  }

  private static String guid() {
    return UUID.randomUUID().toString();
  }

  private long inboxRows(String guid) throws Exception {
    return svc.count("select count(*) from inbox where guid = ?", guid);
  }

  @Test
  void a_signed_queued_job_is_accepted_stored_and_reaches_the_worker() throws Exception {
    String g = guid();
    HttpResponse<String> r = svc.post("workflow_job", g, Signed.workflowJob("queued", 11, "linux"));
    assertThat(r.statusCode()).isEqualTo(202);
    assertThat(json.readTree(r.body()).get("result").asText()).isEqualTo("accepted");
    assertThat(inboxRows(g)).isEqualTo(1);
    assertThat(svc.count("select workflow_job_id from inbox where guid = ?", g)).isEqualTo(11);
    await()
        .atMost(Duration.ofSeconds(20))
        .until(
            () ->
                svc.count(
                        "select count(*) from inbox where guid = ? and worker_seen_at is not null",
                        g)
                    == 1);
  }

  @Test
  void every_malformed_signature_gets_401_and_stores_nothing() throws Exception {
    String body = Signed.workflowJob("queued", 12, "linux");
    byte[] bytes = body.getBytes(StandardCharsets.UTF_8);
    String good = SignatureVerifier.sign(RunwayHarness.SECRET, bytes);
    String hex = good.substring("sha256=".length());
    List<String> bad =
        List.of(
            SignatureVerifier.sign("wrong-secret", bytes),
            "sha1=" + hex.substring(0, 40),
            good.substring(0, good.length() - 4),
            "sha256=" + hex.toUpperCase(),
            "sha256=",
            "garbage");
    for (String sig : bad) {
      String g = guid();
      HttpResponse<String> r = send(g, "workflow_job", bytes, sig);
      assertThat(r.statusCode()).as(sig).isEqualTo(401);
      assertThat(inboxRows(g)).isZero();
    }
    String g = guid();
    assertThat(send(g, "workflow_job", bytes, null).statusCode()).isEqualTo(401);
    // Signed correctly, then changed in transit.
    byte[] changed = body.replace("\"id\":12", "\"id\":13").getBytes(StandardCharsets.UTF_8);
    assertThat(send(g, "workflow_job", changed, good).statusCode()).isEqualTo(401);
    assertThat(inboxRows(g)).isZero();
    assertThat(
            svc.metric(
                "runway_webhook_requests_total{event=\"unverified\",result=\"rejected_signature\"}"))
        .isGreaterThanOrEqualTo(bad.size() + 2);
  }

  private HttpResponse<String> send(String guid, String event, byte[] body, String sig)
      throws Exception {
    HttpRequest.Builder b =
        HttpRequest.newBuilder(svc.base().resolve("/webhooks/github"))
            .POST(HttpRequest.BodyPublishers.ofByteArray(body));
    if (guid != null) {
      b.header("X-GitHub-Delivery", guid);
    }
    if (event != null) {
      b.header("X-GitHub-Event", event);
    }
    if (sig != null) {
      b.header("X-Hub-Signature-256", sig);
    }
    return svc.http.send(b.build(), HttpResponse.BodyHandlers.ofString());
  }

  @Test
  void a_missing_event_or_delivery_header_gets_400() throws Exception {
    byte[] body = Signed.workflowJob("queued", 14, "linux").getBytes(StandardCharsets.UTF_8);
    String sig = SignatureVerifier.sign(RunwayHarness.SECRET, body);
    assertThat(send(guid(), null, body, sig).statusCode()).isEqualTo(400);
    assertThat(send(null, "workflow_job", body, sig).statusCode()).isEqualTo(400);
    HttpResponse<String> r = send(null, "workflow_job", body, sig);
    assertThat(json.readTree(r.body()).get("error").asText()).contains("X-GitHub-Delivery");
    assertThat(svc.count("select count(*) from inbox where workflow_job_id = 14")).isZero();
  }

  @Test
  void malformed_or_empty_json_with_a_valid_signature_gets_400() throws Exception {
    for (String body : List.of("{\"action\":", "[1,2]", "", "not json")) {
      String g = guid();
      HttpResponse<String> r = svc.post("workflow_job", g, body);
      assertThat(r.statusCode()).as(body).isEqualTo(400);
      assertThat(inboxRows(g)).isZero();
    }
  }

  @Test
  void the_same_guid_three_times_gives_one_row_one_task_and_three_2xx() throws Exception {
    String g = guid();
    String body = Signed.workflowJob("queued", 15, "linux");
    List<String> results = new ArrayList<>();
    for (int i = 0; i < 3; i++) {
      HttpResponse<String> r = svc.post("workflow_job", g, body);
      assertThat(r.statusCode()).isBetween(200, 299);
      results.add(json.readTree(r.body()).get("result").asText());
    }
    assertThat(results).containsExactly("accepted", "duplicate", "duplicate");
    assertThat(inboxRows(g)).isEqualTo(1);
    // One task: the worker sees the delivery once, and no second task turns up later.
    await()
        .atMost(Duration.ofSeconds(20))
        .until(() -> svc.count("select dispatch_attempts from inbox where guid = ?", g) == 1);
    await()
        .during(Duration.ofSeconds(2))
        .atMost(Duration.ofSeconds(5))
        .until(
            () ->
                svc.count("select dispatch_attempts from inbox where guid = ?", g) == 1
                    && svc.count("select count(*) from scheduled_tasks where task_instance = ?", g)
                        == 0);
  }

  @Test
  void concurrent_deliveries_with_duplicates_store_exactly_the_distinct_ones() throws Exception {
    String run = UUID.randomUUID().toString().substring(0, 8);
    List<String> guids = new ArrayList<>();
    for (int i = 0; i < 450; i++) {
      guids.add(run + "-" + i);
    }
    List<String> sends = new ArrayList<>(guids);
    for (int i = 0; i < 50; i++) {
      sends.add(guids.get(i * 9)); // 10% duplicates
    }
    java.util.Collections.shuffle(sends);
    ExecutorService pool = Executors.newFixedThreadPool(32);
    try {
      List<Future<Integer>> answers = new ArrayList<>();
      for (String g : sends) {
        answers.add(
            pool.submit(
                () ->
                    svc.post("workflow_job", g, Signed.workflowJob("queued", 100, "linux"))
                        .statusCode()));
      }
      for (Future<Integer> a : answers) {
        assertThat(a.get()).isBetween(200, 299);
      }
    } finally {
      pool.shutdown();
    }
    // A delivery whose commit ran late was spooled (still a 2xx) and reaches the inbox when the
    // drainer replays it; either way each distinct GUID is stored once.
    await()
        .atMost(Duration.ofSeconds(30))
        .until(() -> svc.count("select count(*) from inbox where guid like ?", run + "-%") >= 450);
    assertThat(svc.count("select count(*) from inbox where guid like ?", run + "-%"))
        .isEqualTo(450);
  }

  @Test
  void other_events_are_acknowledged_counted_and_not_kept() throws Exception {
    String g = guid();
    HttpResponse<String> r = svc.post("push", g, "{\"ref\":\"refs/heads/main\"}");
    assertThat(r.statusCode()).isEqualTo(202);
    assertThat(json.readTree(r.body()).get("result").asText()).isEqualTo("ignored_event");
    assertThat(inboxRows(g)).isZero();
    assertThat(svc.metric("runway_webhook_requests_total{event=\"push\",result=\"ignored_event\"}"))
        .isGreaterThanOrEqualTo(1);
  }

  @Test
  void ping_is_stored_and_settled_without_a_dispatch_task() throws Exception {
    String g = guid();
    HttpResponse<String> r =
        svc.post("ping", g, "{\"zen\":\"Keep it logically awesome.\",\"hook_id\":123}");
    assertThat(r.statusCode()).isEqualTo(202);
    assertThat(inboxRows(g)).isEqualTo(1);
    assertThat(svc.count("select count(*) from inbox where guid = ? and outcome = 'ignored'", g))
        .isEqualTo(1);
    assertThat(svc.count("select count(*) from scheduled_tasks where task_instance = ?", g))
        .isZero();
  }

  @Test
  void a_body_declared_over_25_mb_gets_413_without_being_read() throws Exception {
    long declared = 26L * 1024 * 1024;
    try (Socket s = new Socket("127.0.0.1", svc.runway.port())) {
      s.setSoTimeout(10_000);
      OutputStream out = s.getOutputStream();
      out.write(
          ("POST /webhooks/github HTTP/1.1\r\nHost: x\r\nX-GitHub-Event: workflow_job\r\n"
                  + "X-GitHub-Delivery: big-1\r\nContent-Type: application/json\r\n"
                  + "Content-Length: "
                  + declared
                  + "\r\n\r\n")
              .getBytes(StandardCharsets.US_ASCII));
      out.write(new byte[64 * 1024]);
      out.flush();
      String status = readStatusLine(s.getInputStream());
      assertThat(status).startsWith("HTTP/1.1 413");
    }
    assertThat(inboxRows("big-1")).isZero();
  }

  @Test
  void a_chunked_body_over_25_mb_gets_413_after_reading_at_most_the_limit() throws Exception {
    try (Socket s = new Socket("127.0.0.1", svc.runway.port())) {
      s.setSoTimeout(20_000);
      OutputStream out = s.getOutputStream();
      out.write(
          ("POST /webhooks/github HTTP/1.1\r\nHost: x\r\nX-GitHub-Event: workflow_job\r\n"
                  + "X-GitHub-Delivery: big-2\r\nContent-Type: application/json\r\n"
                  + "Transfer-Encoding: chunked\r\n\r\n")
              .getBytes(StandardCharsets.US_ASCII));
      byte[] chunk = new byte[1024 * 1024];
      java.util.Arrays.fill(chunk, (byte) ' ');
      Thread writer =
          new Thread(
              () -> {
                try {
                  for (int i = 0; i < 26; i++) {
                    out.write(
                        (Integer.toHexString(chunk.length) + "\r\n")
                            .getBytes(StandardCharsets.US_ASCII));
                    out.write(chunk);
                    out.write("\r\n".getBytes(StandardCharsets.US_ASCII));
                  }
                  out.write("0\r\n\r\n".getBytes(StandardCharsets.US_ASCII));
                  out.flush();
                } catch (java.io.IOException closedByServer) {
                  // Expected once the server answers 413 and closes.
                }
              });
      writer.start();
      assertThat(readStatusLine(s.getInputStream())).startsWith("HTTP/1.1 413");
      writer.join(20_000);
    }
    assertThat(inboxRows("big-2")).isZero();
  }

  private static String readStatusLine(InputStream in) throws java.io.IOException {
    StringBuilder sb = new StringBuilder();
    int c;
    while ((c = in.read()) != -1 && c != '\n') {
      sb.append((char) c);
    }
    return sb.toString().trim();
  }

  @Test
  void the_deliveries_api_lists_newest_first_without_payloads_and_shows_one_with_it()
      throws Exception {
    String first = "api-" + guid();
    String second = "api-" + guid();
    svc.post("workflow_job", first, Signed.workflowJob("queued", 21, "linux"));
    svc.post("workflow_job", second, Signed.workflowJob("queued", 22, "linux"));
    JsonNode list =
        json.readTree(svc.get("/api/v1/deliveries?event=workflow_job&limit=500").body());
    List<String> order = new ArrayList<>();
    list.forEach(n -> order.add(n.get("guid").asText()));
    assertThat(order.indexOf(second)).isLessThan(order.indexOf(first));
    list.forEach(n -> assertThat(n.has("payload")).isFalse());
    JsonNode one = json.readTree(svc.get("/api/v1/deliveries/" + first).body());
    assertThat(one.at("/payload/workflow_job/id").asLong()).isEqualTo(21);
    assertThat(one.at("/delivery/installation_id").asLong()).isEqualTo(4242);
    assertThat(svc.get("/api/v1/deliveries/nope").statusCode()).isEqualTo(404);
    assertThat(svc.get("/api/v1/deliveries?limit=0").statusCode()).isEqualTo(400);
  }

  @Test
  void health_readiness_and_metrics_answer() throws Exception {
    assertThat(svc.get("/healthz").statusCode()).isEqualTo(200);
    assertThat(svc.get("/readyz").statusCode()).isEqualTo(200);
    svc.post("workflow_job", guid(), Signed.workflowJob("queued", 31, "linux"));
    String metrics = svc.get("/metrics").body();
    assertThat(metrics)
        .contains("runway_webhook_requests_total{event=\"workflow_job\",result=\"accepted\"}")
        .contains("runway_webhook_ack_seconds_bucket")
        .contains("runway_spool_depth")
        .contains("runway_queue_depth");
    Set<String> names = new HashSet<>();
    metrics
        .lines()
        .filter(l -> l.startsWith("runway_"))
        .forEach(l -> names.add(l.split("[{ ]")[0]));
    assertThat(names).contains("runway_webhook_requests_total");
  }
}

package dev.runway.ingest.webhook;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import dev.runway.platform.config.RunwayConfig;
import dev.runway.testing.RunwayHarness;
import dev.runway.testing.Signed;
import dev.runway.testing.TestDatabases;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.net.Socket;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Random;
import java.util.Set;
import java.util.TreeSet;
import java.util.UUID;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicLong;
import java.util.concurrent.atomic.LongAccumulator;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Unsigned traffic is bounded in aggregate and mints no metric series (issue 20, item 4). A real
 * server on a free port and a real PostgreSQL; the memory for unverified bodies is set to its
 * least, 1 MiB, so that a flood a test can afford fills it many times over.
 */
class UnverifiedTrafficIT {
  static final long CAP = 1L << 20;
  static final String MEMORY = "runway_webhook_unverified_bytes{where=\"memory\"}";
  static final String DISK = "runway_webhook_unverified_bytes{where=\"disk\"}";
  @TempDir static Path dir;
  static RunwayHarness svc;

  @BeforeAll
  static void start() throws Exception {
    svc =
        RunwayHarness.start(
            dir,
            TestDatabases.fresh(),
            Map.of(
                RunwayConfig.WEBHOOK_BODY_TIMEOUT,
                "1500ms",
                RunwayConfig.WEBHOOK_UNVERIFIED_MEMORY,
                String.valueOf(CAP)));
  }

  @AfterAll
  static void stop() {
    svc.close();
  }

  @Test
  void a_flood_of_unsigned_bodies_never_holds_more_than_the_cap_and_signed_deliveries_get_through()
      throws Exception {
    int senders = 16;
    byte[] unsigned = new byte[4 * 1024 * 1024];
    new Random(20).nextBytes(unsigned);
    HttpClient flood = HttpClient.newBuilder().version(HttpClient.Version.HTTP_1_1).build();
    AtomicBoolean stop = new AtomicBoolean();
    Map<Integer, AtomicInteger> answers = new java.util.concurrent.ConcurrentHashMap<>();
    ExecutorService pool = Executors.newFixedThreadPool(senders + 1);
    LongAccumulator memoryMax = new LongAccumulator(Math::max, 0);
    LongAccumulator diskMax = new LongAccumulator(Math::max, 0);
    AtomicLong samples = new AtomicLong();
    try {
      for (int i = 0; i < senders; i++) {
        pool.submit(
            () -> {
              while (!stop.get()) {
                HttpRequest r =
                    HttpRequest.newBuilder(svc.base().resolve("/webhooks/github"))
                        .timeout(Duration.ofSeconds(30))
                        .header("X-GitHub-Event", "workflow_job")
                        .header("X-GitHub-Delivery", UUID.randomUUID().toString())
                        .header("X-Hub-Signature-256", "sha256=" + "0".repeat(64))
                        .POST(HttpRequest.BodyPublishers.ofByteArray(unsigned))
                        .build();
                int status = flood.send(r, HttpResponse.BodyHandlers.discarding()).statusCode();
                answers.computeIfAbsent(status, k -> new AtomicInteger()).incrementAndGet();
              }
              return null;
            });
      }
      // The invariant is sampled the whole time, not only at the end.
      Future<?> sampler =
          pool.submit(
              () -> {
                while (!stop.get()) {
                  memoryMax.accumulate((long) svc.metric(MEMORY));
                  diskMax.accumulate((long) svc.metric(DISK));
                  samples.incrementAndGet();
                }
                return null;
              });
      // The flood is on once bodies spill: the memory is full.
      await().atMost(Duration.ofSeconds(60)).until(() -> diskMax.get() > 0);

      // A signed delivery of the usual size, and one larger than the whole memory cap: both are
      // stored while the flood goes on.
      List<String> guids = new ArrayList<>();
      for (int i = 0; i < 5; i++) {
        String g = "signed-" + i;
        guids.add(g);
        String body = Signed.workflowJob("queued", 9100 + i, "linux");
        if (i == 4) {
          body =
              body.substring(0, body.lastIndexOf('}'))
                  + ",\"padding\":\""
                  + "x".repeat(3 << 20)
                  + "\"}";
        }
        HttpResponse<String> r = svc.post("workflow_job", g, body);
        assertThat(r.statusCode()).as(g + ": " + r.body()).isBetween(200, 299);
      }
      await()
          .atMost(Duration.ofSeconds(30))
          .untilAsserted(
              () ->
                  assertThat(svc.count("select count(*) from inbox where guid like 'signed-%'"))
                      .isEqualTo(5));
      assertThat(svc.count("select count(*) from inbox where workflow_job_id = 9104")).isEqualTo(1);

      // Enough samples of the invariant under the flood, however fast the rest went.
      await().atMost(Duration.ofSeconds(120)).until(() -> samples.get() >= 50);
      stop.set(true);
      sampler.get(30, TimeUnit.SECONDS);
    } finally {
      stop.set(true);
      pool.shutdown();
      assertThat(pool.awaitTermination(60, TimeUnit.SECONDS)).isTrue();
    }
    assertThat(samples.get()).isGreaterThanOrEqualTo(50);
    assertThat(memoryMax.get()).isGreaterThan(0).isLessThanOrEqualTo(CAP);
    // Every unsigned body was read and refused as unsigned (or, on a slow machine, as too slow to
    // arrive): none was turned away for want of room, and none was taken.
    assertThat(answers.get(401)).as(answers.toString()).hasValueGreaterThan(senders);
    assertThat(answers.keySet()).as(answers.toString()).isSubsetOf(401, 408);
    // Once the flood is over, nothing unverified is held, in memory or on disk.
    await()
        .atMost(Duration.ofSeconds(10))
        .untilAsserted(
            () -> {
              assertThat(svc.metric(MEMORY)).isZero();
              assertThat(svc.metric(DISK)).isZero();
            });
    try (var left = java.nio.file.Files.list(dir.resolve("unverified"))) {
      assertThat(left).isEmpty();
    }
    assertThat(svc.count("select count(*) from inbox where guid like 'signed-%'")).isEqualTo(5);
  }

  @Test
  void a_thousand_unsigned_requests_with_random_event_names_add_no_metric_series()
      throws Exception {
    // Each way of being refused before verification, once, so that its series exists.
    Random random = new Random(1000);
    assertThat(unsigned("workflow_job").statusCode()).isEqualTo(401);
    assertThat(declaredTooLarge("workflow_job")).startsWith("HTTP/1.1 413");
    // A stalled body is cut off either by Runway's deadline (counted) or by the idle timeout it
    // set (answered by Jetty, not counted); send them until one is counted.
    await()
        .atMost(Duration.ofSeconds(60))
        .until(
            () -> {
              assertThat(stalled("workflow_job")).startsWith("HTTP/1.1 408");
              return svc.metric(unverified("bad_request")) > 0
                  && svc.metric(unverified("too_large")) > 0
                  && svc.metric(unverified("rejected_signature")) > 0;
            });
    Set<String> before = webhookSeries();

    Set<String> names = new TreeSet<>();
    for (int i = 0; i < 1000; i++) {
      String name = "evt_" + Long.toString(random.nextLong() & Long.MAX_VALUE, 36);
      names.add(name);
      if (i % 100 == 0) {
        assertThat(declaredTooLarge(name)).as(name).startsWith("HTTP/1.1 413");
      } else {
        assertThat(unsigned(name).statusCode()).as(name).isEqualTo(401);
      }
    }
    // The body deadline is 1.5 s each; a few, at once.
    ExecutorService slow = Executors.newFixedThreadPool(4);
    try {
      List<Future<String>> stalls = new ArrayList<>();
      for (String name : names.stream().limit(4).toList()) {
        stalls.add(slow.submit(() -> stalled(name)));
      }
      for (Future<String> f : stalls) {
        assertThat(f.get(30, TimeUnit.SECONDS)).startsWith("HTTP/1.1 408");
      }
    } finally {
      slow.shutdownNow();
    }

    Set<String> after = webhookSeries();
    assertThat(after).isEqualTo(before);
    String scrape = svc.get("/metrics").body();
    assertThat(names).noneMatch(scrape::contains);
    // Counted just after the answer is written: wait for the last ones.
    await()
        .atMost(Duration.ofSeconds(10))
        .untilAsserted(
            () -> {
              assertThat(svc.metric(unverified("rejected_signature"))).isGreaterThanOrEqualTo(991);
              assertThat(svc.metric(unverified("too_large"))).isGreaterThanOrEqualTo(11);
            });
    assertThat(webhookSeries()).isEqualTo(before);
  }

  static String unverified(String result) {
    return "runway_webhook_requests_total{event=\"unverified\",result=\"" + result + "\"}";
  }

  /** The series (name and labels, without the value) of every {@code runway_webhook_} meter. */
  static Set<String> webhookSeries() throws Exception {
    Set<String> out = new TreeSet<>();
    for (String line : svc.get("/metrics").body().split("\n")) {
      if (line.startsWith("runway_webhook_")) {
        out.add(line.substring(0, line.lastIndexOf(' ')));
      }
    }
    return out;
  }

  static HttpResponse<String> unsigned(String event) throws Exception {
    return Signed.send(
        svc.http, svc.base(), event, UUID.randomUUID().toString(), "{\"zen\":\"x\"}", "wrong");
  }

  /** A request declaring a body over 25 MB: answered 413 before any of it is read. */
  static String declaredTooLarge(String event) throws IOException {
    try (Socket s = new Socket("127.0.0.1", svc.runway.port())) {
      s.setSoTimeout(10_000);
      s.getOutputStream().write(head(event, 30L * 1024 * 1024));
      s.getOutputStream().flush();
      return readAll(s.getInputStream());
    }
  }

  /** A request that sends 10 bytes of a declared 1,000 and stops: answered 408 at the deadline. */
  static String stalled(String event) throws IOException {
    try (Socket s = new Socket("127.0.0.1", svc.runway.port())) {
      s.setSoTimeout(10_000);
      OutputStream out = s.getOutputStream();
      out.write(head(event, 1000));
      out.write(new byte[10]);
      out.flush();
      return readAll(s.getInputStream());
    }
  }

  private static byte[] head(String event, long contentLength) {
    return ("POST /webhooks/github HTTP/1.1\r\nHost: x\r\nX-GitHub-Event: "
            + event
            + "\r\nX-GitHub-Delivery: "
            + UUID.randomUUID()
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

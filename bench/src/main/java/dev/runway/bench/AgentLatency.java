package dev.runway.bench;

import dev.runway.Main;
import dev.runway.Runway;
import dev.runway.agent.Agent;
import dev.runway.agent.AgentSettings;
import dev.runway.platform.config.RunwayConfig;
import java.io.PrintWriter;
import java.io.StringWriter;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.security.KeyPairGenerator;
import java.sql.Connection;
import java.sql.DriverManager;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Base64;
import java.util.Collections;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.UUID;
import java.util.concurrent.Callable;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.locks.LockSupport;
import org.eclipse.jetty.server.Handler;
import org.eclipse.jetty.server.Request;
import org.eclipse.jetty.server.Response;
import org.eclipse.jetty.server.Server;
import org.eclipse.jetty.server.ServerConnector;
import org.eclipse.jetty.util.Callback;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;

/**
 * {@code runway-bench agent-latency}: the time from a delivery's receipt by Runway to the start of
 * the runner's {@code run.sh} on a host, through the whole path: webhook intake, dispatch, the
 * long-polling claim woken by LISTEN/NOTIFY, the JIT call, the agent's directory and process start.
 *
 * <p>Everything runs in this JVM and on this machine: Runway on an embedded PostgreSQL, a stand-in
 * GitHub (Jetty) that answers the token and JIT calls at once, and {@code runway agent} with a
 * {@code run.sh} that records its start time ({@code date +%s%N}) and exits. Receipt is {@code
 * inbox.received_at} (the webhook handler's clock when the request arrived); both clocks are this
 * machine's.
 */
@Command(
    name = "agent-latency",
    mixinStandardHelpOptions = true,
    description = "Receipt of a queued delivery to run.sh start, via a long-polling runway agent.")
final class AgentLatency implements Callable<Integer> {
  private static final String SECRET = "bench-secret";

  @Option(names = "--rate", defaultValue = "10", description = "jobs per second")
  double rate;

  @Option(names = "--seconds", defaultValue = "30", description = "how long to send")
  int seconds;

  @Option(names = "--warmup", defaultValue = "200", description = "jobs sent first, not measured")
  int warmup;

  @Option(names = "--slots", defaultValue = "32", description = "agent slots")
  int slots;

  @Option(
      names = "--payload",
      defaultValue = "bench/payload-queued.json",
      description = "the queued delivery body")
  Path payload;

  @Override
  public Integer call() throws Exception {
    Path dir = Files.createTempDirectory("runway-agent-latency");
    Server github = fakeGitHub();
    Map<String, String> env = new HashMap<>();
    env.put(RunwayConfig.PORT, "0");
    env.put(RunwayConfig.DATA_DIR, dir.resolve("data").toString());
    env.put(RunwayConfig.WEBHOOK_SECRETS, SECRET);
    Files.writeString(
        dir.resolve("pools.yaml"),
        "pools:\n  - name: linux-x64\n    labels: [linux, x64]\n");
    env.put(RunwayConfig.POOLS, "file:" + dir.resolve("pools.yaml"));
    env.put(RunwayConfig.GITHUB_APP_ID, "1");
    env.put(RunwayConfig.GITHUB_PRIVATE_KEY_FILE, privateKey(dir).toString());
    env.put(
        RunwayConfig.GITHUB_API_URL,
        "http://127.0.0.1:" + ((ServerConnector) github.getConnectors()[0]).getLocalPort());
    env.put(RunwayConfig.REDELIVERY_ENABLED, "false");
    try (Runway runway = Runway.start(RunwayConfig.from(env), Clock.systemUTC())) {
      cli(env, "accounts", "set", "acme", "--installation-id", "4242", "--max-concurrent",
          "1000000", "--enabled");
      String token = cli(env, "pools", "token", "create", "linux-x64").trim();
      Path rec = Files.createDirectories(dir.resolve("rec"));
      Path starts = rec.resolve("starts");
      Files.createFile(starts);
      Path runner = Files.createDirectories(dir.resolve("actions-runner"));
      Files.writeString(
          runner.resolve("run.sh"),
          "#!/bin/sh\necho \"$(basename \"$PWD\") $(date +%s%N)\" >> "
              + starts
              + "\necho 'Running job: bench'\n");
      Files.setPosixFilePermissions(
          runner.resolve("run.sh"), PosixFilePermissions.fromString("rwxr-xr-x"));
      URI base = URI.create("http://127.0.0.1:" + runway.port());
      Agent agent =
          new Agent(
                  new AgentSettings(
                      base,
                      "linux-x64",
                      token,
                      runner,
                      slots,
                      dir.resolve("work"),
                      Duration.ofMinutes(5),
                      Duration.ofSeconds(30),
                      List.of(),
                      Duration.ofSeconds(30)))
              .start();
      Deliveries deliveries = new Deliveries(payload, SECRET, base.resolve("/webhooks/github"));
      HttpClient http = HttpClient.newHttpClient();
      long firstJob = System.currentTimeMillis() * 100;
      send(http, base, deliveries, firstJob, warmup, Math.max(rate, 50));
      awaitLines(starts, warmup);
      Files.writeString(starts, "");
      long measuredFirst = firstJob + warmup;
      int n = (int) Math.round(rate * seconds);
      Instant began = Instant.now();
      send(http, base, deliveries, measuredFirst, n, rate);
      awaitLines(starts, n);
      Duration took = Duration.between(began, Instant.now());
      agent.drain();
      List<Double> ms = latencies(dir, starts);
      agent.await();
      Collections.sort(ms);
      System.out.printf(
          "rate %.0f/s, %d jobs (%d measured) in %.1f s, %d slots: p50 %.1f ms, p90 %.1f ms,"
              + " p99 %.1f ms, max %.1f ms%n",
          rate, n, ms.size(), took.toMillis() / 1000.0, slots, pct(ms, 0.50), pct(ms, 0.90),
          pct(ms, 0.99), ms.get(ms.size() - 1));
      breakdown(dir, starts);
    } finally {
      github.stop();
    }
    return 0;
  }

  private static double pct(List<Double> sorted, double p) {
    return sorted.get(Math.min(sorted.size() - 1, (int) Math.ceil(p * sorted.size()) - 1));
  }

  /** Sends {@code n} queued deliveries at {@code rate}/s (open model: the schedule never waits). */
  private static void send(
      HttpClient http, URI base, Deliveries d, long firstJob, int n, double rate)
      throws Exception {
    long start = System.nanoTime();
    long interval = (long) (1e9 / rate);
    List<CompletableFuture<HttpResponse<Void>>> sent = new ArrayList<>();
    for (int i = 0; i < n; i++) {
      long due = start + i * interval;
      long wait = due - System.nanoTime();
      if (wait > 0) {
        LockSupport.parkNanos(wait);
      }
      Deliveries.Request r =
          d.request(Deliveries.Action.QUEUED, firstJob + i, UUID.randomUUID().toString());
      sent.add(
          http.sendAsync(
              HttpRequest.newBuilder(base.resolve("/webhooks/github"))
                  .header("Content-Type", "application/json")
                  .header("X-GitHub-Event", "workflow_job")
                  .header("X-GitHub-Delivery", r.guid())
                  .header("X-Hub-Signature-256", d.sign(r.body()))
                  .POST(HttpRequest.BodyPublishers.ofByteArray(r.body()))
                  .build(),
              HttpResponse.BodyHandlers.discarding()));
    }
    for (CompletableFuture<HttpResponse<Void>> f : sent) {
      int status = f.get(60, TimeUnit.SECONDS).statusCode();
      if (status != 202) {
        throw new IllegalStateException("a delivery was answered " + status);
      }
    }
  }

  private static void awaitLines(Path file, int n) throws Exception {
    long deadline = System.nanoTime() + TimeUnit.MINUTES.toNanos(5);
    while (lines(file).size() < n) {
      if (System.nanoTime() > deadline) {
        throw new IllegalStateException(
            "only " + lines(file).size() + " of " + n + " runners started within 5 minutes");
      }
      Thread.sleep(100);
    }
  }

  private static List<String> lines(Path file) throws Exception {
    List<String> out = new ArrayList<>();
    for (String l : Files.readAllLines(file)) {
      if (!l.isBlank()) {
        out.add(l);
      }
    }
    return out;
  }

  /** Percentiles of where the time goes: receipt → dispatched → claimed → run.sh start. */
  private static void breakdown(Path dir, Path starts) throws Exception {
    String url = Files.readString(dir.resolve("data").resolve("embedded-jdbc-url")).trim();
    Map<Long, Long> startNanos = startNanos(starts);
    List<Double> dispatch = new ArrayList<>();
    List<Double> claim = new ArrayList<>();
    List<Double> start = new ArrayList<>();
    try (Connection c = DriverManager.getConnection(url, "postgres", "postgres");
        PreparedStatement ps =
            c.prepareStatement(
                "select cl.id, (extract(epoch from i.received_at) * 1000000)::bigint,"
                    + " (extract(epoch from i.settled_at) * 1000000)::bigint,"
                    + " (extract(epoch from cl.created_at) * 1000000)::bigint"
                    + " from claims cl join inbox i on i.workflow_job_id = cl.job_id"
                    + " and i.action = 'queued' where cl.id = any (?)")) {
      ps.setArray(1, c.createArrayOf("bigint", startNanos.keySet().toArray()));
      try (ResultSet rs = ps.executeQuery()) {
        while (rs.next()) {
          dispatch.add((rs.getLong(3) - rs.getLong(2)) / 1e3);
          claim.add((rs.getLong(4) - rs.getLong(3)) / 1e3);
          start.add((startNanos.get(rs.getLong(1)) - rs.getLong(4) * 1000) / 1e6);
        }
      }
    }
    for (var e : Map.of("receipt→dispatched", dispatch, "dispatched→claimed", claim,
        "claimed→run.sh", start).entrySet()) {
      Collections.sort(e.getValue());
      System.out.printf("  %-20s p50 %.1f ms, p99 %.1f ms%n", e.getKey(), pct(e.getValue(), 0.5),
          pct(e.getValue(), 0.99));
    }
  }

  private static Map<Long, Long> startNanos(Path starts) throws Exception {
    Map<Long, Long> out = new HashMap<>();
    for (String l : lines(starts)) {
      String[] p = l.split(" ");
      out.put(Long.parseLong(p[0].substring("claim-".length())), Long.parseLong(p[1]));
    }
    return out;
  }

  /** run.sh start minus receipt, in milliseconds, per started runner. */
  private static List<Double> latencies(Path dir, Path starts) throws Exception {
    String url = Files.readString(dir.resolve("data").resolve("embedded-jdbc-url")).trim();
    Map<Long, Long> startNanos = new HashMap<>();
    for (String l : lines(starts)) {
      String[] p = l.split(" ");
      startNanos.put(Long.parseLong(p[0].substring("claim-".length())), Long.parseLong(p[1]));
    }
    List<Double> out = new ArrayList<>();
    try (Connection c = DriverManager.getConnection(url, "postgres", "postgres");
        PreparedStatement ps =
            c.prepareStatement(
                "select cl.id, (extract(epoch from i.received_at) * 1000000)::bigint"
                    + " from claims cl join inbox i on i.workflow_job_id = cl.job_id"
                    + " and i.action = 'queued' where cl.id = any (?)")) {
      ps.setArray(1, c.createArrayOf("bigint", startNanos.keySet().toArray()));
      try (ResultSet rs = ps.executeQuery()) {
        while (rs.next()) {
          long receivedMicros = rs.getLong(2);
          long startedNanos = startNanos.get(rs.getLong(1));
          out.add((startedNanos - receivedMicros * 1000) / 1e6);
        }
      }
    }
    return out;
  }

  private static String cli(Map<String, String> env, String... args) {
    StringWriter out = new StringWriter();
    StringWriter err = new StringWriter();
    int code =
        Main.commandLine(env, new PrintWriter(out, true), new PrintWriter(err, true)).execute(args);
    if (code != 0) {
      throw new IllegalStateException(String.join(" ", args) + ": " + err);
    }
    return out.toString();
  }

  private static Path privateKey(Path dir) throws Exception {
    KeyPairGenerator g = KeyPairGenerator.getInstance("RSA");
    g.initialize(2048);
    byte[] pkcs8 = g.generateKeyPair().getPrivate().getEncoded();
    Path f = dir.resolve("app.pem");
    Files.writeString(
        f,
        "-----BEGIN PRIVATE KEY-----\n"
            + Base64.getMimeEncoder(64, "\n".getBytes(StandardCharsets.US_ASCII))
                .encodeToString(pkcs8)
            + "\n-----END PRIVATE KEY-----\n");
    return f;
  }

  /** GitHub as far as claims need it, answering at once: tokens, JIT configs, runner lists. */
  private static Server fakeGitHub() throws Exception {
    Server server = new Server();
    ServerConnector connector = new ServerConnector(server);
    connector.setHost("127.0.0.1");
    connector.setPort(0);
    server.addConnector(connector);
    server.setHandler(
        new Handler.Abstract() {
          @Override
          public boolean handle(Request request, Response response, Callback callback) {
            String path = Request.getPathInContext(request);
            String body;
            int status;
            if (path.endsWith("/access_tokens")) {
              status = 201;
              body =
                  "{\"token\":\"ghs_bench\",\"expires_at\":\""
                      + Instant.now().plus(Duration.ofHours(1))
                      + "\"}";
            } else if (path.endsWith("/generate-jitconfig")) {
              status = 201;
              body = "{\"runner\":{\"id\":1,\"name\":\"r\"},\"encoded_jit_config\":\"YmVuY2g=\"}";
            } else {
              status = 200;
              body = "{\"total_count\":0,\"runners\":[]}";
            }
            response.setStatus(status);
            response.getHeaders().put("Content-Type", "application/json");
            response.write(
                true, ByteBuffer.wrap(body.getBytes(StandardCharsets.UTF_8)), callback);
            return true;
          }
        });
    server.start();
    return server;
  }
}

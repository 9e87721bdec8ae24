package dev.runway.testing;

import static org.awaitility.Awaitility.await;

import java.io.IOException;
import java.net.ServerSocket;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;

/** The service as a child JVM started from {@code target/runway.jar}, as an operator runs it. */
public final class ServiceProcess implements AutoCloseable {
  private final Process process;
  private final int port;
  private final int adminPort;
  private final Path log;

  private ServiceProcess(Process process, int port, int adminPort, Path log) {
    this.process = process;
    this.port = port;
    this.adminPort = adminPort;
    this.log = log;
  }

  public static int freePort() throws IOException {
    try (ServerSocket s = new ServerSocket(0)) {
      return s.getLocalPort();
    }
  }

  /** Starts {@code java [jvmArgs] -jar target/runway.jar serve} in {@code workDir}. */
  public static ServiceProcess start(
      Path workDir, Map<String, String> env, List<String> jvmArgs, int port) throws IOException {
    Path jar = Path.of("target/runway.jar").toAbsolutePath();
    if (!Files.exists(jar)) {
      throw new IllegalStateException("run `mvn package` first: " + jar + " is missing");
    }
    List<String> cmd = new ArrayList<>();
    cmd.add(Path.of(System.getProperty("java.home"), "bin", "java").toString());
    cmd.addAll(jvmArgs);
    cmd.addAll(List.of("-jar", jar.toString(), "serve"));
    ProcessBuilder pb = new ProcessBuilder(cmd).directory(workDir.toFile());
    pb.environment().keySet().removeIf(k -> k.startsWith("RUNWAY_"));
    pb.environment().putAll(env);
    pb.environment().put("RUNWAY_PORT", String.valueOf(port));
    // The management port's default (9090) would collide between services started side by side.
    int adminPort =
        env.containsKey("RUNWAY_ADMIN_PORT")
            ? Integer.parseInt(env.get("RUNWAY_ADMIN_PORT"))
            : freePort();
    pb.environment().put("RUNWAY_ADMIN_PORT", String.valueOf(adminPort));
    Path log = Files.createTempFile(workDir, "service", ".log");
    pb.redirectErrorStream(true).redirectOutput(log.toFile());
    return new ServiceProcess(pb.start(), port, adminPort, log);
  }

  /** The public listener: webhooks, claims, health. */
  public URI base() {
    return URI.create("http://127.0.0.1:" + port);
  }

  /** The management listener: metrics, health, operator APIs. */
  public URI adminBase() {
    return URI.create("http://127.0.0.1:" + adminPort);
  }

  /** Waits until {@code /readyz} answers 200, failing early if the process died. */
  public ServiceProcess awaitReady(Duration atMost) {
    HttpClient http = HttpClient.newHttpClient();
    await("service ready; log: " + log)
        .atMost(atMost)
        .pollInterval(Duration.ofMillis(200))
        .until(
            () -> {
              if (!process.isAlive()) {
                throw new IllegalStateException(
                    "service exited with " + process.exitValue() + ":\n" + Files.readString(log));
              }
              try {
                return http.send(
                            HttpRequest.newBuilder(base().resolve("/readyz"))
                                .timeout(Duration.ofSeconds(2))
                                .build(),
                            HttpResponse.BodyHandlers.discarding())
                        .statusCode()
                    == 200;
              } catch (IOException e) {
                return false;
              }
            });
    return this;
  }

  /** SIGKILL: no shutdown hook runs, exactly like a crash or an OOM kill. */
  public void kill() throws InterruptedException {
    process.destroyForcibly();
    process.waitFor();
  }

  /** SIGTERM, as systemd or Kubernetes stops it; returns the exit code. */
  public int stop(Duration atMost) throws InterruptedException {
    process.destroy();
    if (!process.waitFor(atMost.toMillis(), java.util.concurrent.TimeUnit.MILLISECONDS)) {
      process.destroyForcibly().waitFor();
      throw new AssertionError("service did not stop within " + atMost + "; log: " + log);
    }
    return process.exitValue();
  }

  public boolean isAlive() {
    return process.isAlive();
  }

  public String log() throws IOException {
    return Files.readString(log);
  }

  @Override
  public void close() throws InterruptedException {
    process.destroy();
    if (!process.waitFor(
        java.time.Duration.ofSeconds(20).toMillis(), java.util.concurrent.TimeUnit.MILLISECONDS)) {
      process.destroyForcibly().waitFor();
    }
  }
}

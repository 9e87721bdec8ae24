package dev.runway.cli;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import dev.runway.testing.ServiceProcess;
import dev.runway.testing.Signed;
import java.net.http.HttpClient;
import java.net.http.HttpResponse;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ConcurrentLinkedQueue;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * {@code runway serve} from the built jar, on its embedded defaults, stopped the way systemd and
 * Kubernetes stop it: while webhooks arrive and dispatch runs.
 */
class ServeStopIT {
  static final String SECRET = "stop-secret";
  final HttpClient http = HttpClient.newHttpClient();

  @Test
  void sigterm_on_a_busy_service_exits_0_with_one_closing_line_and_nothing_alarming_in_the_log(
      @TempDir Path work) throws Exception {
    Map<String, String> env =
        Map.of("RUNWAY_WEBHOOK_SECRETS", SECRET, "RUNWAY_SHUTDOWN_GRACE", "5s");
    ServiceProcess svc =
        ServiceProcess.start(work, env, List.of(), ServiceProcess.freePort())
            .awaitReady(Duration.ofSeconds(120));
    ConcurrentLinkedQueue<String> acknowledged = new ConcurrentLinkedQueue<>();
    AtomicBoolean sending = new AtomicBoolean(true);
    ExecutorService senders = Executors.newFixedThreadPool(4);
    for (int t = 0; t < 4; t++) {
      int thread = t;
      senders.submit(
          () -> {
            for (int i = 0; sending.get(); i++) {
              String g = "stop-" + thread + "-" + i;
              try {
                HttpResponse<String> r =
                    Signed.send(
                        http,
                        svc.base(),
                        "workflow_job",
                        g,
                        Signed.workflowJob("queued", 1000L * thread + i, "linux"),
                        SECRET);
                if (r.statusCode() / 100 == 2) {
                  acknowledged.add(g);
                }
              } catch (Exception stopped) {
                return; // the server is gone
              }
            }
          });
    }
    // Busy: webhooks in flight and dispatch threads working through the queue at the signal.
    await().atMost(Duration.ofSeconds(60)).until(() -> acknowledged.size() >= 300);

    int exit = svc.stop(Duration.ofSeconds(60));
    sending.set(false);
    senders.shutdown();
    senders.awaitTermination(30, TimeUnit.SECONDS);

    String log = svc.log();
    assertThat(exit).as("exit code; log:\n%s", log).isZero();
    assertThat(log).contains("stopping Runway");
    assertThat(log.lines().filter(l -> l.contains("Runway stopped"))).hasSize(1);
    assertThat(log.strip()).as("the closing line is the last").endsWith("Runway stopped");
    assertThat(log)
        .doesNotContain(" ERROR ")
        .doesNotContain("Exception")
        .doesNotContain("\tat ")
        .doesNotContain("terminating connection due to administrator command");
  }

  @Test
  void a_restart_names_the_schema_version_it_found(@TempDir Path work) throws Exception {
    Map<String, String> env = Map.of("RUNWAY_WEBHOOK_SECRETS", SECRET);
    ServiceProcess first =
        ServiceProcess.start(work, env, List.of(), ServiceProcess.freePort())
            .awaitReady(Duration.ofSeconds(120));
    assertThat(first.stop(Duration.ofSeconds(60))).isZero();
    ServiceProcess second =
        ServiceProcess.start(work, env, List.of(), ServiceProcess.freePort())
            .awaitReady(Duration.ofSeconds(120));
    assertThat(second.stop(Duration.ofSeconds(60))).isZero();

    assertThat(second.log())
        .containsPattern("database schema at version \\d+ \\(0 migration\\(s\\) applied\\)")
        .doesNotContain("version null");
  }
}

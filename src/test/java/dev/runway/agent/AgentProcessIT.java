package dev.runway.agent;

import static dev.runway.claims.ClaimsFixture.ACME;
import static dev.runway.claims.ClaimsFixture.JIT;
import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * {@code java -jar target/runway.jar agent ...} as a child process, as an operator runs it, and
 * SIGTERM as systemd or launchd sends it: the first drains, the second stops at once.
 */
class AgentProcessIT {
  static final Duration LONG = Duration.ofSeconds(90);

  @TempDir Path dir;
  AgentTestBed bed;
  Process agent;
  Path output;

  @BeforeEach
  void start() throws Exception {
    bed = new AgentTestBed(dir);
  }

  @AfterEach
  void stop() throws Exception {
    try {
      if (agent != null && agent.isAlive()) {
        agent.destroyForcibly().waitFor();
      }
      if (output != null) {
        String out = Files.readString(output);
        assertThat(out).doesNotContain(bed.token).doesNotContain(JIT);
      }
    } finally {
      bed.close();
    }
  }

  private Process startAgent(int slots, String drainTimeout) throws Exception {
    return startAgent(slots, drainTimeout, "--runner-dir", bed.runner.runnerDir.toString());
  }

  private Process startAgent(int slots, String drainTimeout, String how, String path)
      throws Exception {
    Path jar = Path.of("target/runway.jar").toAbsolutePath();
    assertThat(jar).exists();
    List<String> cmd = new ArrayList<>();
    cmd.add(Path.of(System.getProperty("java.home"), "bin", "java").toString());
    cmd.addAll(
        List.of(
            "-jar",
            jar.toString(),
            "agent",
            "--url",
            bed.f.svc.base().toString(),
            "--pool",
            "linux",
            "--token-file",
            bed.tokenFile.toString(),
            how,
            path,
            "--slots",
            String.valueOf(slots),
            "--work-root",
            dir.resolve("work").toString(),
            "--drain-timeout",
            drainTimeout,
            "--runner-arg=--disableupdate",
            "--poll-wait",
            "2s"));
    output = dir.resolve("agent.log");
    ProcessBuilder pb = new ProcessBuilder(cmd).redirectErrorStream(true);
    pb.redirectOutput(output.toFile());
    agent = pb.start();
    return agent;
  }

  private String output() throws Exception {
    return Files.readString(output);
  }

  @Test
  void sigterm_stops_claiming_and_lets_running_jobs_finish() throws Exception {
    startAgent(2, "10m");
    bed.queue(8001, 2);
    await().atMost(LONG).until(() -> bed.runner.count("start") == 2);

    agent.destroy(); // SIGTERM
    await().atMost(LONG).until(() -> output().contains("draining: no new claims"));
    bed.f.queued(8003, "acme", ACME, "linux");
    assertThat(agent.isAlive()).isTrue();
    bed.playGitHub();

    assertThat(agent.waitFor(LONG.toSeconds(), TimeUnit.SECONDS)).isTrue();
    assertThat(agent.exitValue()).isZero();
    assertThat(bed.runner.count("done")).isEqualTo(2);
    assertThat(bed.runner.count("start")).isEqualTo(2);
    assertThat(bed.f.status(8003)).isEqualTo("queued");
    await()
        .atMost(LONG)
        .until(() -> bed.count("select count(*) from claims where state = 'done'") == 2);
    assertThat(output()).contains("[claim ").contains("runway agent stopped");
  }

  @Test
  void a_second_sigterm_kills_the_runners_and_stops_at_once() throws Exception {
    startAgent(1, "10m");
    bed.queue(8101, 1);
    await().atMost(LONG).until(() -> bed.runner.count("start") == 1);
    long claim = bed.runner.byClaim().keySet().iterator().next();
    long script = Long.parseLong(bed.runner.lines().get(0)[2]);

    agent.destroy();
    await().atMost(LONG).until(() -> output().contains("draining: no new claims"));
    agent.destroy();

    assertThat(agent.waitFor(LONG.toSeconds(), TimeUnit.SECONDS)).isTrue();
    await().atMost(LONG).until(() -> FakeRunner.gone(script));
    assertThat(bed.runner.count("done")).isZero();
    // It had said "Running job", so the claim is done (the job's own events settle the job).
    assertThat(bed.f.string("select state || ':' || exit_code from claims where id = ?", claim))
        .startsWith("done:");
    assertThat(output()).contains("killing the runner: the agent is stopping");
  }

  @Test
  void with_a_launcher_sigterm_drains_and_the_second_destroys_the_machine() throws Exception {
    Path launcher = FakeLauncher.write(dir, bed.runner);
    startAgent(1, "10m", "--launcher", launcher.toString());
    bed.queue(8201, 1);
    await().atMost(LONG).until(() -> bed.runner.count("start") == 1);
    Path machines = bed.runner.rec.resolve("machines");
    try (var m = Files.list(machines)) {
      assertThat(m).hasSize(1);
    }

    agent.destroy(); // SIGTERM: drain, the job goes on in its machine
    await().atMost(LONG).until(() -> output().contains("draining: no new claims"));
    assertThat(agent.isAlive()).isTrue();
    assertThat(bed.runner.count("destroyed")).isZero();
    agent.destroy(); // the second: the launcher gets TERM and destroys its machine

    assertThat(agent.waitFor(LONG.toSeconds(), TimeUnit.SECONDS)).isTrue();
    assertThat(bed.runner.count("destroyed")).isEqualTo(1);
    try (var m = Files.list(machines)) {
      assertThat(m).isEmpty();
    }
    assertThat(bed.runner.count("argv")).isZero();
    // The JIT file was 0600 and is gone with the job.
    String[] mode =
        bed.runner.lines().stream().filter(l -> l[1].equals("mode")).findFirst().orElseThrow();
    assertThat(mode[2]).isEqualTo("600");
    assertThat(Path.of(mode[3])).doesNotExist();
    assertThat(output()).contains("launcher for runner").doesNotContain(bed.token);
  }
}

package dev.runway.agent;

import static dev.runway.claims.ClaimsFixture.JIT;
import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import dev.runway.claims.ClaimsFixture;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * {@code runway agent --launcher}: the real agent against the real service, with a fake launcher
 * that keeps to the contract of docs/agent.md. Its "machine" is a directory under {@code
 * rec/machines} named after the runner, made before the runner starts and removed by the launcher's
 * traps; inside it, {@link FakeRunner}'s script plays the runner with the config read from the JIT
 * file. The launcher records the file's mode and path, and refuses a JIT config in its argv. After
 * every test, nothing logged holds the token or the JIT config.
 */
class AgentLauncherIT {
  static final Duration LONG = Duration.ofSeconds(90);

  @TempDir Path dir;
  AgentTestBed bed;
  ClaimsFixture f;
  FakeRunner runner;
  LogCapture logs;
  Path launcher;
  Path machines;
  final List<Agent> agents = new ArrayList<>();

  @BeforeEach
  void start() throws Exception {
    logs = new LogCapture();
    bed = new AgentTestBed(dir);
    f = bed.f;
    runner = bed.runner;
    machines = Files.createDirectories(runner.rec.resolve("machines"));
    launcher = FakeLauncher.write(dir, runner);
  }

  @AfterEach
  void stop() throws Exception {
    try {
      for (Agent a : agents) {
        a.stopNow();
        a.await();
      }
      bed.close();
      assertThat(logs.all()).doesNotContain(bed.token).doesNotContain(JIT);
    } finally {
      logs.close();
    }
  }

  private Agent agent(int slots, Duration jobTimeout, Duration drainTimeout) {
    Agent a =
        new Agent(
            new AgentSettings(
                f.svc.base(),
                "linux",
                bed.token,
                null,
                slots,
                dir.resolve("work"),
                jobTimeout,
                drainTimeout,
                List.of("--disableupdate"),
                Duration.ofSeconds(5),
                launcher,
                Duration.ofSeconds(5)));
    agents.add(a);
    return a.start();
  }

  private List<String[]> lines(String what) throws Exception {
    return runner.lines().stream().filter(l -> l[1].equals(what)).toList();
  }

  private boolean noMachines() throws Exception {
    try (var left = Files.list(machines)) {
      return left.findAny().isEmpty();
    }
  }

  @Test
  void each_job_gets_a_machine_that_is_destroyed_and_a_0600_jit_file_that_is_deleted()
      throws Exception {
    agent(2, Duration.ofHours(1), Duration.ofMinutes(1));
    bed.queue(11001, 4);

    await()
        .atMost(LONG)
        .pollInterval(Duration.ofMillis(50))
        .until(
            () -> {
              bed.playGitHub();
              return bed.count("select count(*) from jobs where status = 'completed'") == 4;
            });
    await().atMost(LONG).until(() -> lines("destroyed").size() == 4);

    assertThat(lines("machine")).hasSize(4);
    assertThat(runner.count("start")).isEqualTo(4);
    assertThat(runner.count("done")).isEqualTo(4);
    assertThat(runner.count("argv") + runner.count("nojit")).isZero();
    assertThat(lines("mode")).hasSize(4).allSatisfy(l -> assertThat(l[2]).isEqualTo("600"));
    for (String[] l : lines("mode")) {
      assertThat(Path.of(l[3])).doesNotExist();
    }
    assertThat(noMachines()).isTrue();
    // The launcher got the runner's arguments, and the claim's runner name for its machine.
    assertThat(runner.lines())
        .filteredOn(l -> l[1].equals("start"))
        .allSatisfy(l -> assertThat(l).contains("--disableupdate"));
    for (String[] l : lines("machine")) {
      long claim = Long.parseLong(l[3]);
      assertThat(l[2]).isEqualTo(f.string("select runner_name from claims where id = ?", claim));
      assertThat(Long.parseLong(l[4])).isEqualTo(bed.jobOf(claim));
    }
    await()
        .atMost(LONG)
        .until(() -> bed.count("select count(*) from claims where state = 'done'") == 4);
  }

  @Test
  void a_job_past_its_timeout_has_its_machine_destroyed_and_its_claim_released() throws Exception {
    runner.set("hang");
    agent(1, Duration.ofSeconds(2), Duration.ofMinutes(1));
    bed.queue(12001, 1);

    await()
        .atMost(LONG)
        .until(
            () ->
                "failed:job_timeout"
                    .equals(
                        f.string(
                            "select state || ':' || state_reason from claims where job_id = 12001"
                                + " order by id limit 1")));

    // The claim is released as soon as the timeout kills the runner; the launcher then destroys
    // its machine on its own SIGTERM, a moment later. (The agent claims the released job again
    // at once, so later claims make and destroy machines of their own meanwhile: the first
    // claim's machine is the one to look for.)
    String first = lines("mode").get(0)[0];
    await().atMost(LONG).until(() -> lines("destroyed").stream().anyMatch(l -> l[0].equals(first)));
    long child =
        Long.parseLong(
            runner.lines().stream().filter(l -> l[1].equals("child")).findFirst().orElseThrow()[2]);
    await().atMost(LONG).until(() -> FakeRunner.gone(child));
    await()
        .atMost(LONG)
        .untilAsserted(() -> assertThat(Path.of(lines("mode").get(0)[3])).doesNotExist());
    // Released, not lost: the next claim (this agent's own next one) takes the job again.
    assertThat(
            f.string(
                "select status from claims where job_id = 12001 and state = 'failed'"
                    + " order by id limit 1"))
        .isEqualTo("released");
    await()
        .atMost(LONG)
        .until(() -> bed.count("select count(*) from claims where job_id = 12001") >= 2);
  }

  @Test
  void draining_lets_the_running_job_finish_then_the_machine_is_destroyed() throws Exception {
    Agent a = agent(1, Duration.ofHours(1), Duration.ofMinutes(5));
    bed.queue(13001, 1);
    await().atMost(LONG).until(() -> runner.count("start") == 1);

    a.terminate(); // what the first SIGTERM does
    f.queued(13002, "acme", ClaimsFixture.ACME, "linux");
    bed.playGitHub();

    assertThat(a.await()).isZero();
    assertThat(runner.count("done")).isEqualTo(1);
    assertThat(lines("destroyed")).hasSize(1);
    assertThat(noMachines()).isTrue();
    assertThat(f.status(13001)).isEqualTo("completed");
    assertThat(f.status(13002)).isEqualTo("queued");
  }

  @Test
  void a_drain_that_runs_out_terms_the_launcher_which_destroys_its_machine() throws Exception {
    Agent a = agent(1, Duration.ofHours(1), Duration.ofSeconds(1));
    bed.queue(14001, 1);
    await().atMost(LONG).until(() -> runner.count("start") == 1);

    a.terminate();

    assertThat(a.await()).isZero();
    assertThat(lines("destroyed")).hasSize(1);
    assertThat(noMachines()).isTrue();
    assertThat(runner.count("done")).isZero();
  }
}

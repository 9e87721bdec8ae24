package dev.runway.drills;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import dev.runway.dispatch.DispatchQueue;
import dev.runway.ingest.inbox.Delivery;
import dev.runway.ingest.inbox.InboxRepository;
import dev.runway.testing.PostgresProcess;
import dev.runway.testing.RunwayHarness;
import dev.runway.testing.ServiceProcess;
import dev.runway.testing.Signed;
import dev.runway.testing.TestDatabases;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.sql.Connection;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Collections;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.atomic.AtomicBoolean;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Short versions of the fault drills (docs/reliability.md): under a stream of deliveries,
 * PostgreSQL is killed or frozen, or two replicas share the work. Each drill asserts that every
 * request was answered 2xx inside GitHub's 10 s, and that nothing was lost or duplicated. No timing
 * is asserted beyond GitHub's own deadline.
 */
class FaultDrillsIT {
  /** Deliveries per sender thread at least; {@code bench/drills.sh} raises it for longer drills. */
  static final int MIN = Integer.getInteger("drill.min", 150);

  @TempDir Path dir;
  final List<AutoCloseable> cleanup = new ArrayList<>();

  @AfterEach
  void tearDown() throws Exception {
    Collections.reverse(cleanup);
    for (AutoCloseable c : cleanup) {
      c.close();
    }
  }

  private RunwayHarness service(Path home, String jdbcUrl) throws Exception {
    return service(home, jdbcUrl, Map.of());
  }

  private RunwayHarness service(Path home, String jdbcUrl, Map<String, String> more)
      throws Exception {
    Files.createDirectories(home);
    Files.writeString(
        home.resolve("pools.yaml"), "pools:\n  - name: linux-x64\n    labels: [linux, x64]\n");
    Map<String, String> env = new HashMap<>(more);
    env.put("RUNWAY_INTAKE_BUDGET", "500ms");
    RunwayHarness h = RunwayHarness.start(home, jdbcUrl, env);
    cleanup.add(h);
    return h;
  }

  /** Sends deliveries from 4 threads until {@code done}; returns every acknowledged GUID. */
  private List<String> stream(
      List<RunwayHarness> targets, String prefix, AtomicBoolean done, int min) throws Exception {
    ExecutorService pool = Executors.newFixedThreadPool(4);
    try {
      List<Future<List<String>>> senders = new ArrayList<>();
      for (int t = 0; t < 4; t++) {
        int thread = t;
        senders.add(
            pool.submit(
                () -> {
                  List<String> sent = new ArrayList<>();
                  for (int i = 0; !done.get() || i < min; i++) {
                    String g = prefix + "-" + thread + "-" + i;
                    RunwayHarness target = targets.get(i % targets.size());
                    long job = Math.abs((long) g.hashCode()) + 1_000_000L;
                    HttpResponse<String> r =
                        target.post(
                            "workflow_job", g, Signed.workflowJob("queued", job, "linux", "x64"));
                    assertThat(r.statusCode()).as("%s -> %s", g, r.body()).isBetween(200, 299);
                    sent.add(g);
                  }
                  return sent;
                }));
      }
      List<String> all = new ArrayList<>();
      for (Future<List<String>> f : senders) {
        all.addAll(f.get());
      }
      return all;
    } finally {
      pool.shutdownNow();
    }
  }

  private void assertEachStoredOnceAndDispatched(
      RunwayHarness svc, String prefix, List<String> sent) throws Exception {
    await()
        .atMost(Duration.ofSeconds(90))
        .until(
            () ->
                svc.count("select count(*) from inbox where guid like ?", prefix + "-%")
                    == sent.size());
    assertThat(svc.count("select count(distinct guid) from inbox where guid like ?", prefix + "-%"))
        .isEqualTo(sent.size());
    await()
        .atMost(Duration.ofSeconds(90))
        .until(
            () ->
                svc.count(
                        "select count(*) from inbox where guid like ? and settled_at is not null",
                        prefix + "-%")
                    == sent.size());
    assertThat(svc.count("select count(*) from jobs where job_id >= 1000000"))
        .isEqualTo(sent.size());
    report(svc, prefix, sent);
  }

  private static void enableAcme(RunwayHarness svc) throws Exception {
    svc.exec(
        "insert into accounts (login, installation_id, runners_enabled, max_concurrent)"
            + " values ('acme', 4242, true, 10)");
  }

  /** Waits until the service has answered at least {@code n} deliveries with {@code result}. */
  private static void awaitWebhooks(RunwayHarness svc, String result, int n) {
    await()
        .atMost(Duration.ofSeconds(30))
        .until(
            () ->
                svc.metric(
                        "runway_webhook_requests_total{event=\"workflow_job\",result=\""
                            + result
                            + "\"}")
                    >= n);
  }

  /** One line per drill for docs/reliability.md; bench/drills.sh collects them. */
  private static void report(RunwayHarness svc, String prefix, List<String> acked)
      throws Exception {
    long stored = svc.count("select count(*) from inbox where guid like ?", prefix + "-%");
    long spooled =
        svc.count("select count(*) from inbox where guid like ? and via_spool", prefix + "-%");
    long jobs = svc.count("select count(*) from jobs where job_id >= 1000000");
    long distinct = acked.stream().distinct().count();
    System.out.printf(
        "DRILL %s acknowledged=%d non2xx=0 stored=%d via_spool=%d jobs=%d lost=%d duplicated=%d%n",
        prefix, acked.size(), stored, spooled, jobs, distinct - stored, stored - distinct);
  }

  @Test
  void postgres_killed_with_sigkill_mid_stream_loses_nothing() throws Exception {
    PostgresProcess pg = new PostgresProcess(dir.resolve("pg"), ServiceProcess.freePort()).start();
    cleanup.add(pg);
    RunwayHarness svc = service(dir.resolve("svc"), pg.jdbcUrl());
    enableAcme(svc);

    AtomicBoolean done = new AtomicBoolean();
    Future<List<String>> load =
        Executors.newSingleThreadExecutor().submit(() -> stream(List.of(svc), "kill", done, MIN));
    awaitWebhooks(svc, "accepted", 40);
    pg.kill();
    awaitWebhooks(svc, "spooled", 40);
    pg.start();
    done.set(true);
    List<String> sent = load.get();
    assertEachStoredOnceAndDispatched(svc, "kill", sent);
    assertThat(svc.metric("runway_spool_depth")).isZero();
  }

  @Test
  void postgres_frozen_with_sigstop_mid_stream_does_not_hang_handlers_and_loses_nothing()
      throws Exception {
    PostgresProcess pg = new PostgresProcess(dir.resolve("pg"), ServiceProcess.freePort()).start();
    cleanup.add(pg);
    RunwayHarness svc = service(dir.resolve("svc"), pg.jdbcUrl());
    enableAcme(svc);

    AtomicBoolean done = new AtomicBoolean();
    Future<List<String>> load =
        Executors.newSingleThreadExecutor().submit(() -> stream(List.of(svc), "freeze", done, MIN));
    awaitWebhooks(svc, "accepted", 40);
    List<Long> frozen = pg.freeze();
    try {
      // The hung-connection case: answers keep coming (from the spool) while nothing answers.
      awaitWebhooks(svc, "spooled", 60);
    } finally {
      pg.thaw(frozen);
    }
    done.set(true);
    List<String> sent = load.get();
    assertEachStoredOnceAndDispatched(svc, "freeze", sent);
  }

  @Test
  void two_replicas_on_one_database_dispatch_each_delivery_exactly_once() throws Exception {
    String url = TestDatabases.fresh();
    RunwayHarness a = service(dir.resolve("a"), url);
    RunwayHarness b = service(dir.resolve("b"), url);
    enableAcme(a);

    AtomicBoolean done = new AtomicBoolean(true);
    List<String> sent = stream(List.of(a, b), "pair", done, MIN);
    // Every delivery again, to the other replica: GitHub redelivers with the same GUID.
    for (int i = 0; i < sent.size(); i += 5) {
      String g = sent.get(i);
      long job = Math.abs((long) g.hashCode()) + 1_000_000L;
      HttpResponse<String> r =
          b.post("workflow_job", g, Signed.workflowJob("queued", job, "linux", "x64"));
      // A duplicate (200); spooled (202) when its commit was slower than the wait, which has no
      // floor any more (issue 20 item 8); or accepted (202) when the first copy is still in the
      // other replica's spool, so this copy reaches the inbox first and the replay is the
      // duplicate. Either way it is stored once and dispatched once, asserted below.
      assertThat(r.body()).containsAnyOf("\"duplicate\"", "\"spooled\"", "\"accepted\"");
      assertThat(r.statusCode()).isIn(200, 202);
    }
    assertEachStoredOnceAndDispatched(a, "pair", sent);
    assertThat(
            a.count(
                "select count(*) from inbox where guid like 'pair-%' and dispatch_attempts <> 1"))
        .isZero();
    double settledByA =
        a.metric("runway_dispatch_outcomes_total{action=\"queued\",outcome=\"queued\"}");
    double settledByB =
        b.metric("runway_dispatch_outcomes_total{action=\"queued\",outcome=\"queued\"}");
    assertThat(settledByA + settledByB).isEqualTo(sent.size());
    assertThat(settledByA).isPositive();
    assertThat(settledByB).isPositive();
  }

  @Test
  void postgres_killed_in_the_middle_of_dispatch_batches_loses_nothing_and_settles_nothing_twice()
      throws Exception {
    PostgresProcess pg = new PostgresProcess(dir.resolve("pg"), ServiceProcess.freePort()).start();
    cleanup.add(pg);
    RunwayHarness svc =
        service(dir.resolve("svc"), pg.jdbcUrl(), Map.of("RUNWAY_DISPATCH_BATCH", "200"));
    enableAcme(svc);
    double before =
        svc.metric("runway_dispatch_outcomes_total{action=\"queued\",outcome=\"queued\"}");

    // A backlog committed at once, as another replica's intake or a spool drain would: the batch
    // dispatchers are woken by its NOTIFY and work through it batch after batch.
    int n = Math.max(6_000, MIN * 40);
    InboxRepository inbox = new InboxRepository();
    try (Connection c = svc.connect()) {
      c.setAutoCommit(false);
      for (int from = 0; from < n; from += 1_000) {
        List<Delivery> chunk = new ArrayList<>();
        for (int i = from; i < Math.min(n, from + 1_000); i++) {
          long job = 1_000_000L + i;
          chunk.add(
              new Delivery(
                  "batch-" + i,
                  "workflow_job",
                  "queued",
                  1L,
                  4242L,
                  job,
                  Instant.now(),
                  Signed.workflowJob("queued", job, "linux", "x64")
                      .getBytes(StandardCharsets.UTF_8)));
        }
        DispatchQueue.enqueue(c, inbox.insert(c, chunk, false), DispatchQueue.SCHEDULER_HOLD);
      }
      c.commit();
    }
    // Kill PostgreSQL once some batches have committed and while others are in flight.
    await()
        .atMost(Duration.ofSeconds(60))
        .pollInterval(Duration.ofMillis(20))
        .until(
            () ->
                svc.count(
                        "select count(*) from inbox where guid like 'batch-%' and settled_at"
                            + " is not null")
                    > 0);
    long settledBeforeKill =
        svc.count(
            "select count(*) from inbox where guid like 'batch-%' and settled_at is not null");
    pg.kill();
    assertThat(settledBeforeKill).as("the kill came while batches were still to run").isLessThan(n);
    pg.start();
    await()
        .atMost(Duration.ofSeconds(120))
        .until(
            () ->
                svc.count(
                        "select count(*) from inbox where guid like 'batch-%'"
                            + " and settled_at is not null")
                    == n);
    assertThat(svc.count("select count(*) from scheduled_tasks where task_name = 'dispatch'"))
        .isZero();
    assertThat(
            svc.count(
                "select count(*) from jobs where job_id >= 1000000 and status = 'queued'"
                    + " and pool = 'linux-x64' and outcome is null"))
        .isEqualTo(n);
    assertThat(
            svc.count(
                "select count(*) from inbox where guid like 'batch-%' and outcome <> 'queued'"))
        .isZero();
    // Counted at most once per delivery: a batch rolled back by the kill counted nothing, and a
    // delivery settled by a committed batch is never settled (or counted) again. A batch whose
    // commit reached the disk but whose acknowledgement died with the server cannot know it
    // committed, so its deliveries are settled and not counted: at most one batch per dispatcher
    // thread (2 x RUNWAY_DISPATCH_BATCH).
    double counted =
        svc.metric("runway_dispatch_outcomes_total{action=\"queued\",outcome=\"queued\"}") - before;
    assertThat(counted).isBetween((double) n - 2 * 200, (double) n);
    System.out.printf(
        "DRILL batch-kill deliveries=%d settled_before_kill=%d jobs=%d counted=%.0f lost=0"
            + " duplicated=0%n",
        n,
        settledBeforeKill,
        svc.count("select count(*) from jobs where job_id >= 1000000"),
        counted);
  }
}

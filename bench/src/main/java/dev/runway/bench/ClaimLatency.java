package dev.runway.bench;

import dev.runway.claims.ClaimReserveProbe;
import dev.runway.platform.db.Database;
import dev.runway.pools.Pool;
import java.nio.file.Files;
import java.nio.file.Path;
import java.sql.Connection;
import java.sql.Statement;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.concurrent.Callable;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.locks.LockSupport;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;

/**
 * {@code runway-bench claim-latency}: the fair-share claim transaction (issue 23) against an
 * embedded PostgreSQL seeded with {@code --jobs} claimable jobs over {@code --repos} repositories
 * and {@code --accounts} accounts, {@code --claimers} threads claiming at once. Prints p50, p99 and
 * max of one claim (the transaction the service runs, durable commit included, without the GitHub
 * call after it), and the {@code EXPLAIN (ANALYZE, BUFFERS)} plan of the ranking query.
 */
@Command(
    name = "claim-latency",
    mixinStandardHelpOptions = true,
    description = "Claim latency with a large queue, many repositories and concurrent claimers.")
final class ClaimLatency implements Callable<Integer> {
  @Option(names = "--data-dir", required = true, description = "a fresh directory for PostgreSQL")
  Path dataDir;

  @Option(names = "--jobs", defaultValue = "100000")
  int jobs;

  @Option(names = "--repos", defaultValue = "1000")
  int repos;

  @Option(names = "--accounts", defaultValue = "50")
  int accounts;

  @Option(names = "--claimers", defaultValue = "16")
  int claimers;

  @Option(
      names = "--pools",
      defaultValue = "1",
      description = "pools the jobs and claimers are spread over (claims of one pool serialise)")
  int pools;

  @Option(names = "--claims", defaultValue = "500", description = "measured claims per claimer")
  int claims;

  @Option(names = "--warmup", defaultValue = "100", description = "unmeasured claims per claimer")
  int warmup;

  @Option(
      names = "--sample-waits",
      description = "sample the backends' states and wait events during the measured claims")
  boolean sampleWaits;

  @Option(
      names = "--baseline",
      description =
          "instead of claims, time the smallest durable write (one row inserted, committed) on the"
              + " same pool and threads: the floor any claim's latency stands on")
  boolean baseline;

  @Option(
      names = "--rate",
      defaultValue = "0",
      description =
          "claims per second over all claimers, each on a fixed schedule and timed from its"
              + " scheduled start (a late claim counts its wait); 0 (the default) has every"
              + " claimer send its next claim as soon as the last one is answered")
  double rate;

  /** One timed transaction of a claimer; true when it did its work. */
  private interface Step {
    boolean run(Pool pool) throws Exception;
  }

  @Override
  public Integer call() throws Exception {
    Files.createDirectories(dataDir);
    try (Database db = Database.openEmbedded(dataDir, claimers + 3)) {
      Database.migrate(db.main());
      seed(db);
      Step probe = baseline ? baseline(db) : new ClaimReserveProbe(db.main())::claim;
      run(probe, warmup);
      // Statistics as autovacuum (or the dispatch backlog's analyze) keeps them: with claimed jobs.
      try (Connection c = db.main().getConnection();
          Statement st = c.createStatement()) {
        st.execute("analyze jobs");
      }
      long[] nanos;
      if (sampleWaits) {
        try (Connection c = db.main().getConnection();
            Statement st = c.createStatement()) {
          st.execute("alter system set track_functions = 'all'");
          st.execute("select pg_reload_conf()");
          st.execute("select pg_stat_reset()");
        }
        WaitSampler sampler = new WaitSampler(db.main());
        long t0 = System.nanoTime();
        nanos = run(probe, claims);
        double seconds = (System.nanoTime() - t0) / 1e9;
        sampler.close();
        System.out.printf("throughput=%.0f claims/s%n", nanos.length / seconds);
        System.out.print(sampler.report());
        System.out.print(functionTimes(db));
      } else {
        nanos = run(probe, claims);
      }
      Arrays.sort(nanos);
      System.out.printf(
          "claims=%d claimers=%d pools=%d p50=%.2fms p99=%.2fms max=%.2fms%n",
          nanos.length,
          claimers,
          pools,
          nanos[(int) (nanos.length * 0.50)] / 1e6,
          nanos[(int) Math.min(nanos.length - 1, nanos.length * 0.99)] / 1e6,
          nanos[nanos.length - 1] / 1e6);
      try (Connection c = db.main().getConnection()) {
        System.out.println("EXPLAIN (ANALYZE, BUFFERS) of claims_fair_pick, account 1:");
        ClaimReserveProbe.explainPick(c, "pool0", 1).forEach(System.out::println);
      }
    }
    return 0;
  }

  private void seed(Database db) throws Exception {
    try (Connection c = db.main().getConnection();
        Statement st = c.createStatement()) {
      st.execute("set synchronous_commit = off");
      // Seeding 100,000 rows on a busy machine can outlast the pool's 10 s statement timeout.
      st.execute("set statement_timeout = 0");
      st.executeUpdate(
          "insert into accounts (id, login, installation_id, runners_enabled, max_concurrent)"
              + " select a, 'org' || a, 100000 + a, true, 100000 from generate_series(1, "
              + accounts
              + ") a");
      // Repository r belongs to account 1 + r % accounts; job i to repository i % repos, received
      // in id order, so every account and repository has jobs all along the queue.
      st.executeUpdate(
          "insert into jobs (job_id, run_attempt, repository, owner_login, account_id, pool,"
              + " status, labels, received_at, dispatched_at, updated_at)"
              + " select i, 1, 'org' || (1 + (i % "
              + repos
              + ") % "
              + accounts
              + ") || '/repo' || (i % "
              + repos
              + "), 'org' || (1 + (i % "
              + repos
              + ") % "
              + accounts
              + "), 1 + (i % "
              + repos
              + ") % "
              + accounts
              + ", 'pool' || (i % "
              + pools
              + "), 'queued', '{linux}',"
              + " now() - interval '1 hour' + i * interval '1 millisecond', now(), now()"
              + " from generate_series(1, "
              + jobs
              + ") i");
      // One repository in ten has settings: a cap of 5 and a weight of 2.
      st.executeUpdate(
          "insert into repository_settings (repository_key, repository, max_concurrent, weight,"
              + " updated_at) select lower(r), r, 5, 2, now() from (select distinct repository r"
              + " from jobs where (substring(repository from '[0-9]+$'))::int % 10 = 0) s");
      st.execute("analyze");
    }
  }

  /**
   * One durable single-row insert per call, as pgbench's insert-only run does: what 16 threads get
   * from this machine's PostgreSQL and disk before any claim logic.
   */
  private static Step baseline(Database db) throws Exception {
    try (Connection c = db.main().getConnection();
        Statement st = c.createStatement()) {
      st.execute("create table if not exists bench_baseline (id bigserial primary key, pool text)");
    }
    return pool -> {
      try (Connection c = db.main().getConnection()) {
        c.setAutoCommit(false);
        try (java.sql.PreparedStatement ps =
            c.prepareStatement(
                // Durable whatever the pool's default, as the claim is (V34's set_config).
                "insert into bench_baseline (pool) select ? from"
                    + " (select set_config('synchronous_commit', 'on', true)) s")) {
          ps.setString(1, pool.name());
          ps.executeUpdate();
        }
        c.commit();
        return true;
      }
    };
  }

  /** Server time per call of each SQL function over the measured claims (track_functions). */
  private static String functionTimes(Database db) throws Exception {
    StringBuilder out = new StringBuilder("SQL functions (calls, total and self ms per call):\n");
    try (Connection c = db.main().getConnection();
        Statement st = c.createStatement()) {
      // The statistics reach the view once each backend reports them (within about ten seconds when idle).
      st.execute("select pg_stat_force_next_flush()");
      st.execute("select pg_sleep(11)");
      try (var rs =
          st.executeQuery(
              "select funcname, calls, total_time / calls, self_time / calls"
                  + " from pg_stat_user_functions where calls > 0 order by total_time desc")) {
        while (rs.next()) {
          out.append(
              String.format(
                  "  %-22s %7d %8.3f %8.3f%n",
                  rs.getString(1), rs.getLong(2), rs.getDouble(3), rs.getDouble(4)));
        }
      }
    }
    return out.toString();
  }

  private long[] run(Step probe, int perClaimer) throws Exception {
    ExecutorService threads = Executors.newFixedThreadPool(claimers);
    CountDownLatch start = new CountDownLatch(1);
    AtomicInteger empty = new AtomicInteger();
    List<Future<long[]>> results = new ArrayList<>();
    try {
      for (int t = 0; t < claimers; t++) {
        Pool pool = new Pool("pool" + (t % pools), List.of("linux"));
        int index = t;
        results.add(
            threads.submit(
                () -> {
                  long[] out = new long[perClaimer];
                  start.await();
                  // Open loop: claimer k's i-th claim is due at begin + (i + k / n) * period.
                  long period = rate > 0 ? (long) (claimers * 1e9 / rate) : 0;
                  long begin = System.nanoTime() + period * index / claimers;
                  for (int i = 0; i < perClaimer; i++) {
                    long t0 = System.nanoTime();
                    if (period > 0) {
                      long due = begin + i * period;
                      while (t0 < due) {
                        LockSupport.parkNanos(due - t0);
                        t0 = System.nanoTime();
                      }
                      t0 = due;
                    }
                    if (!probe.run(pool)) {
                      empty.incrementAndGet();
                    }
                    out[i] = System.nanoTime() - t0;
                  }
                  return out;
                }));
      }
      start.countDown();
      long[] all = new long[claimers * perClaimer];
      int k = 0;
      for (Future<long[]> f : results) {
        for (long v : f.get()) {
          all[k++] = v;
        }
      }
      if (empty.get() > 0) {
        System.out.println(empty.get() + " claim(s) found nothing");
      }
      return all;
    } finally {
      threads.shutdownNow();
    }
  }
}

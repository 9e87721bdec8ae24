package dev.runway.platform.db;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import dev.runway.testing.TestDatabases;
import java.sql.Connection;
import java.time.Duration;
import java.util.List;
import java.util.concurrent.CopyOnWriteArrayList;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.postgresql.ds.PGSimpleDataSource;

/** Signals between "replicas": separate listeners on one real PostgreSQL. */
class SignalsIT {
  private final String url = TestDatabases.fresh();
  private final Signals replicaA = new Signals(dataSource());
  private final Signals replicaB = new Signals(dataSource());

  private PGSimpleDataSource dataSource() {
    PGSimpleDataSource ds = new PGSimpleDataSource();
    ds.setUrl(url);
    ds.setUser("postgres");
    ds.setPassword("postgres");
    return ds;
  }

  @AfterEach
  void stop() {
    replicaA.close();
    replicaB.close();
  }

  @Test
  void a_committed_signal_reaches_every_replica_and_a_rolled_back_one_none() throws Exception {
    List<String> atA = new CopyOnWriteArrayList<>();
    List<String> atB = new CopyOnWriteArrayList<>();
    replicaA.subscribe("claimable", atA::add);
    replicaB.subscribe("claimable", atB::add);
    List<String> otherAtB = new CopyOnWriteArrayList<>();
    replicaB.subscribe("other", otherAtB::add);
    replicaA.start();
    replicaB.start();
    // Each listener announces "anything may have changed" once it listens.
    await().atMost(Duration.ofSeconds(20)).until(() -> atA.contains("*") && atB.contains("*"));

    try (Connection c = dataSource().getConnection()) {
      c.setAutoCommit(false);
      Signals.notify(c, "claimable", "never");
      c.rollback();
      Signals.notify(c, "claimable", "linux");
      assertThat(atA).doesNotContain("linux");
      c.commit();
    }

    await()
        .atMost(Duration.ofSeconds(20))
        .until(() -> atA.contains("linux") && atB.contains("linux"));
    // Signals arrive in commit order, so the rolled-back one would have come first.
    assertThat(atA).containsExactly("*", "linux");
    assertThat(atB).containsExactly("*", "linux");
    assertThat(otherAtB).containsExactly("*");
  }

  @Test
  void a_local_signal_reaches_only_this_process_handlers() {
    List<String> atA = new CopyOnWriteArrayList<>();
    replicaA.subscribe("claimable", atA::add);

    replicaA.local("claimable", "macos");

    assertThat(atA).containsExactly("macos");
  }
}

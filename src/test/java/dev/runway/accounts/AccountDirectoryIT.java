package dev.runway.accounts;

import static org.assertj.core.api.Assertions.assertThat;

import com.github.benmanes.caffeine.cache.Ticker;
import dev.runway.platform.db.Database;
import dev.runway.testing.TestDatabases;
import java.sql.Connection;
import java.time.Duration;
import java.util.concurrent.atomic.AtomicLong;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

class AccountDirectoryIT {
  Database db;
  final AccountRepository repo = new AccountRepository();
  final AtomicLong nanos = new AtomicLong();
  final Ticker ticker = nanos::get;
  AccountDirectory directory;

  @BeforeEach
  void setUp() throws Exception {
    db = Database.open(new Database.Target(TestDatabases.fresh(), "postgres", "postgres"), 2);
    Database.migrate(db.main());
    directory = new AccountDirectory(db.main(), repo, Duration.ofSeconds(60), ticker);
  }

  @AfterEach
  void tearDown() {
    db.close();
  }

  @Test
  void two_deliveries_for_an_enabled_account_cause_one_database_lookup() throws Exception {
    try (Connection c = db.main().getConnection()) {
      repo.set(c, "acme", 4242L, 5, true);
    }
    assertThat(directory.lookup(4242L, "acme")).isPresent();
    assertThat(directory.lookup(4242L, "acme")).isPresent();
    assertThat(directory.lookup(null, "ACME")).isPresent();
    assertThat(directory.databaseLookups()).isEqualTo(1);

    nanos.addAndGet(Duration.ofSeconds(61).toNanos());
    assertThat(directory.lookup(4242L, "acme")).isPresent();
    assertThat(directory.databaseLookups()).isEqualTo(2);
  }

  @Test
  void a_miss_is_not_cached_so_creating_the_account_takes_effect_at_once() throws Exception {
    assertThat(directory.lookup(1L, "later")).isEmpty();
    try (Connection c = db.main().getConnection()) {
      repo.set(c, "later", 1L, 3, true);
    }
    assertThat(directory.lookup(1L, "later")).get().extracting(Account::maxConcurrent).isEqualTo(3);
  }

  @Test
  void a_disabled_account_is_not_cached_so_enabling_takes_effect_at_once() throws Exception {
    try (Connection c = db.main().getConnection()) {
      repo.set(c, "sleepy", 2L, 3, false);
    }
    assertThat(directory.lookup(2L, "sleepy")).get().matches(a -> !a.runnersAllowed());
    try (Connection c = db.main().getConnection()) {
      repo.set(c, "sleepy", null, null, true);
    }
    assertThat(directory.lookup(2L, "sleepy")).get().matches(Account::runnersAllowed);
  }

  @Test
  void installation_links_move_between_accounts_and_survive_deletion_of_the_installation()
      throws Exception {
    try (Connection c = db.main().getConnection()) {
      repo.linkInstallation(c, "first", 10L);
      repo.linkInstallation(c, "second", 10L);
      assertThat(repo.byInstallation(c, 10L)).get().extracting(Account::login).isEqualTo("second");
      assertThat(repo.byLogin(c, "first")).get().extracting(Account::installationId).isNull();
      repo.unlinkInstallation(c, 10L);
      assertThat(repo.byInstallation(c, 10L)).isEmpty();
      assertThat(repo.byLogin(c, "second")).isPresent();
    }
  }
}

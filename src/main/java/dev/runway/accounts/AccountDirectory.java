package dev.runway.accounts;

import com.github.benmanes.caffeine.cache.Cache;
import com.github.benmanes.caffeine.cache.Caffeine;
import com.github.benmanes.caffeine.cache.Ticker;
import java.sql.Connection;
import java.sql.SQLException;
import java.time.Duration;
import java.util.Optional;
import java.util.concurrent.atomic.AtomicLong;
import javax.sql.DataSource;

/**
 * Finds the account of a delivery: by installation id first, then by the repository owner's login.
 *
 * <p>Only usable accounts are cached, for 60 s: a miss, a disabled account or a database error is
 * never cached, so enabling an account takes effect on the very next delivery. Disabling takes up
 * to a minute here, which is safe because the account's cap is checked again in PostgreSQL when a
 * job is claimed.
 */
public final class AccountDirectory {
  private final DataSource ds;
  private final AccountRepository repo;
  private final Cache<String, Account> cache;
  private final AtomicLong databaseLookups = new AtomicLong();

  public AccountDirectory(DataSource ds, AccountRepository repo, Duration ttl, Ticker ticker) {
    this.ds = ds;
    this.repo = repo;
    this.cache =
        Caffeine.newBuilder().expireAfterWrite(ttl).maximumSize(100_000).ticker(ticker).build();
  }

  /**
   * The account for this installation or owner, or empty when there is none.
   *
   * @throws SQLException when the database cannot answer; the caller retries, it is not a miss
   */
  public Optional<Account> lookup(Long installationId, String ownerLogin) throws SQLException {
    try (Connection c = ds.getConnection()) {
      return lookup(c, installationId, ownerLogin);
    }
  }

  /**
   * As {@link #lookup(Long, String)}, a miss read on {@code c}: for a caller that holds a
   * connection (a dispatch batch), so it never waits for a second one while it holds locks.
   */
  public Optional<Account> lookup(Connection c, Long installationId, String ownerLogin)
      throws SQLException {
    String byInstallation = installationId == null ? null : "i:" + installationId;
    String byLogin =
        ownerLogin == null ? null : "l:" + ownerLogin.toLowerCase(java.util.Locale.ROOT);
    for (String key : new String[] {byInstallation, byLogin}) {
      Account hit = key == null ? null : cache.getIfPresent(key);
      if (hit != null) {
        return Optional.of(hit);
      }
    }
    databaseLookups.incrementAndGet();
    Optional<Account> found =
        installationId == null ? Optional.empty() : repo.byInstallation(c, installationId);
    if (found.isEmpty() && ownerLogin != null) {
      found = repo.byLogin(c, ownerLogin);
    }
    found
        .filter(Account::runnersAllowed)
        .ifPresent(
            a -> {
              if (byInstallation != null) {
                cache.put(byInstallation, a);
              }
              if (byLogin != null) {
                cache.put(byLogin, a);
              }
            });
    return found;
  }

  /**
   * An operator's change of an existing account's cap or switch (null leaves a field as it is), as
   * {@code runway accounts set}; the cache is dropped, so the change applies to the next delivery
   * here rather than up to a minute later.
   *
   * @return the account as changed, or empty when there is no account of that login
   */
  public Optional<Account> update(
      Connection c, String login, Integer maxConcurrent, Boolean runnersEnabled)
      throws SQLException {
    if (repo.byLogin(c, login).isEmpty()) {
      return Optional.empty();
    }
    Account changed = repo.set(c, login, null, maxConcurrent, runnersEnabled);
    invalidate();
    return Optional.of(changed);
  }

  /** Forgets every cached account, after an installation event changed one. */
  public void invalidate() {
    cache.invalidateAll();
  }

  /** How many lookups went to the database; tests use it to see the cache work. */
  public long databaseLookups() {
    return databaseLookups.get();
  }
}

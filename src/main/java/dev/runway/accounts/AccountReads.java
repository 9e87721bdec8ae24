package dev.runway.accounts;

import java.sql.Connection;
import java.sql.SQLException;
import java.util.List;

/**
 * What the operator's views read of the {@code accounts} table. Reads only; a change of an account
 * goes through {@link AccountDirectory#update}, which also drops the cache the change would
 * otherwise wait behind.
 */
public final class AccountReads {
  private final AccountRepository accounts = new AccountRepository();

  /** Every account, by login. */
  public List<Account> list(Connection c) throws SQLException {
    return accounts.list(c);
  }
}

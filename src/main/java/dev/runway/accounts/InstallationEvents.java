package dev.runway.accounts;

import com.fasterxml.jackson.databind.JsonNode;
import java.sql.Connection;
import java.sql.SQLException;

/**
 * Keeps the account ↔ installation link current from {@code installation} and {@code
 * installation_repositories} deliveries. These are not dispatch outcomes: the caller settles the
 * delivery with what {@link #apply} did, in the same transaction.
 */
public final class InstallationEvents {
  private final AccountRepository accounts;
  private final AccountDirectory directory;

  public InstallationEvents(AccountRepository accounts, AccountDirectory directory) {
    this.accounts = accounts;
    this.directory = directory;
  }

  /** After the caller's transaction committed: lookups see the change from now on. */
  public void committed() {
    directory.invalidate();
  }

  /**
   * What one installation delivery did; {@code outcome} is {@code account_updated} or {@code
   * ignored}.
   */
  public record Applied(String action, Long installationId, String login, String outcome) {}

  /** Applies the payload {@code root} on the caller's connection and transaction. */
  public Applied apply(Connection c, JsonNode root) throws SQLException {
    String action = root.path("action").asText("");
    JsonNode inst = root.path("installation");
    Long id = inst.path("id").canConvertToLong() ? inst.get("id").asLong() : null;
    String login = inst.path("account").path("login").asText(null);
    String outcome = "ignored";
    if (id != null) {
      switch (action) {
        case "deleted" -> {
          accounts.unlinkInstallation(c, id);
          outcome = "account_updated";
        }
        case "suspend" -> {
          accounts.setSuspended(c, id, true);
          outcome = "account_updated";
        }
        case "unsuspend", "created", "new_permissions_accepted", "added", "removed" -> {
          if (login != null) {
            accounts.linkInstallation(c, login, id);
            accounts.setSuspended(c, id, false);
            outcome = "account_updated";
          }
        }
        default -> {}
      }
    }
    return new Applied(action, id, login, outcome);
  }
}

package dev.runway.platform.github;

import com.fasterxml.jackson.annotation.JsonIgnoreProperties;
import com.fasterxml.jackson.annotation.JsonProperty;
import java.time.Instant;
import java.util.List;
import java.util.Map;

/**
 * One installation of the App, as {@code GET /app/installations} lists it. Its {@code permissions}
 * and {@code events} are what its owner accepted, which lag behind the App's own until the owner
 * approves a change.
 */
@JsonIgnoreProperties(ignoreUnknown = true)
public record AppInstallation(
    @JsonProperty("id") long id,
    @JsonProperty("account") Account account,
    @JsonProperty("permissions") Map<String, String> permissions,
    @JsonProperty("events") List<String> events,
    @JsonProperty("suspended_at") Instant suspendedAt) {

  public AppInstallation {
    permissions = permissions == null ? Map.of() : Map.copyOf(permissions);
    events = events == null ? List.of() : List.copyOf(events);
  }

  /** The organisation or user the App is installed on. */
  @JsonIgnoreProperties(ignoreUnknown = true)
  public record Account(@JsonProperty("login") String login, @JsonProperty("type") String type) {}

  /** The account's login, or {@code ?} when GitHub left it out. */
  public String login() {
    return account == null || account.login() == null ? "?" : account.login();
  }

  /** Whether the account is a user (whose repositories need repository-level runners). */
  public boolean ownedByUser() {
    return account != null && "User".equals(account.type());
  }
}

package dev.runway.platform.github;

import com.fasterxml.jackson.annotation.JsonIgnoreProperties;
import com.fasterxml.jackson.annotation.JsonProperty;
import java.util.List;
import java.util.Map;

/**
 * The App as {@code GET /app} describes it to itself: what it may do ({@code permissions}, name to
 * {@code read} or {@code write}) and which events its webhook is subscribed to.
 */
@JsonIgnoreProperties(ignoreUnknown = true)
public record GitHubApp(
    @JsonProperty("id") long id,
    @JsonProperty("slug") String slug,
    @JsonProperty("name") String name,
    @JsonProperty("html_url") String htmlUrl,
    @JsonProperty("permissions") Map<String, String> permissions,
    @JsonProperty("events") List<String> events) {

  public GitHubApp {
    permissions = permissions == null ? Map.of() : Map.copyOf(permissions);
    events = events == null ? List.of() : List.copyOf(events);
  }
}

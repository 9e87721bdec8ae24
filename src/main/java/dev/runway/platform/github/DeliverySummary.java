package dev.runway.platform.github;

import com.fasterxml.jackson.annotation.JsonIgnoreProperties;
import com.fasterxml.jackson.annotation.JsonProperty;
import com.fasterxml.jackson.annotation.JsonPropertyOrder;
import java.time.Instant;

/**
 * One delivery attempt of the App's webhook, as {@code GET /app/hook/deliveries} lists it. An
 * original delivery and its redeliveries share the {@code guid}; each has its own {@code id}.
 *
 * @param statusCode the receiver's HTTP status, 0 when there was no HTTP response
 * @param status {@code OK} on success, otherwise a reason such as {@code Invalid HTTP Response:
 *     503}
 */
@JsonIgnoreProperties(ignoreUnknown = true)
@JsonPropertyOrder({
  "id",
  "guid",
  "delivered_at",
  "redelivery",
  "duration",
  "status",
  "status_code",
  "event",
  "action",
  "installation_id",
  "repository_id",
  "throttled_at"
})
public record DeliverySummary(
    @JsonProperty("id") long id,
    @JsonProperty("guid") String guid,
    @JsonProperty("delivered_at") Instant deliveredAt,
    @JsonProperty("redelivery") boolean redelivery,
    @JsonProperty("duration") double duration,
    @JsonProperty("status") String status,
    @JsonProperty("status_code") int statusCode,
    @JsonProperty("event") String event,
    @JsonProperty("action") String action,
    @JsonProperty("installation_id") Long installationId,
    @JsonProperty("repository_id") Long repositoryId,
    @JsonProperty("throttled_at") Instant throttledAt) {

  /** GitHub's definition: the receiver answered, and answered 2xx ({@code status == "OK"}). */
  public boolean succeeded() {
    return "OK".equals(status) || (statusCode >= 200 && statusCode < 300);
  }
}

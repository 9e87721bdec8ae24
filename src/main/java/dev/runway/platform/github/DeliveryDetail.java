package dev.runway.platform.github;

import com.fasterxml.jackson.annotation.JsonIgnoreProperties;
import com.fasterxml.jackson.annotation.JsonProperty;
import com.fasterxml.jackson.annotation.JsonPropertyOrder;
import com.fasterxml.jackson.databind.JsonNode;
import java.time.Instant;
import java.util.Map;

/**
 * One delivery attempt with what was sent and what came back, from {@code GET
 * /app/hook/deliveries/{id}}.
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
  "throttled_at",
  "url",
  "request",
  "response"
})
public record DeliveryDetail(
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
    @JsonProperty("throttled_at") Instant throttledAt,
    @JsonProperty("url") String url,
    @JsonProperty("request") Message request,
    @JsonProperty("response") Message response) {

  /** The list fields of this attempt. */
  public DeliverySummary summary() {
    return new DeliverySummary(
        id,
        guid,
        deliveredAt,
        redelivery,
        duration,
        status,
        statusCode,
        event,
        action,
        installationId,
        repositoryId,
        throttledAt);
  }

  /**
   * The {@code workflow_job.id} of the request payload, or -1 when the payload has none (another
   * event, or a payload GitHub did not return).
   */
  public long workflowJobId() {
    if (request == null || request.payload() == null) {
      return -1;
    }
    JsonNode id = request.payload().path("workflow_job").path("id");
    return id.canConvertToLong() ? id.asLong() : -1;
  }

  /**
   * Headers and payload of one side of the exchange. The request payload is the JSON object sent;
   * the response payload is the body as a string, possibly null.
   */
  @JsonIgnoreProperties(ignoreUnknown = true)
  record Message(
      @JsonProperty("headers") Map<String, JsonNode> headers,
      @JsonProperty("payload") JsonNode payload) {}
}

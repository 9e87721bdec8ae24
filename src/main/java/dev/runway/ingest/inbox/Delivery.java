package dev.runway.ingest.inbox;

import java.time.Instant;

/**
 * One webhook delivery as Runway stores it: the raw signed body plus the few fields extracted from
 * the headers and the payload that the inbox is queried by.
 *
 * @param body the request body exactly as received and signed; never logged
 */
public record Delivery(
    String guid,
    String event,
    String action,
    Long hookId,
    Long installationId,
    Long workflowJobId,
    Instant receivedAt,
    byte[] body) {

  @Override
  public String toString() {
    return "Delivery[guid=" + guid + ", event=" + event + ", action=" + action + "]";
  }
}

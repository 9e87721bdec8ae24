package dev.runway.webhook;

import com.fasterxml.jackson.core.JsonParseException;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.io.IOException;
import java.time.Instant;

/** Parses a delivery body once, to reject malformed JSON and extract the inbox's columns. */
public final class Payloads {
  private final ObjectMapper json;

  public Payloads(ObjectMapper json) {
    this.json = json;
  }

  /** The body is not a JSON object. */
  public static final class MalformedPayload extends Exception {
    MalformedPayload(String message) {
      super(message);
    }
  }

  /**
   * Builds the delivery from its headers and body.
   *
   * @throws MalformedPayload when the body is empty, not JSON, or not a JSON object
   */
  public Delivery parse(String guid, String event, Long hookId, Instant receivedAt, byte[] body)
      throws MalformedPayload {
    if (body.length == 0) {
      throw new MalformedPayload("empty body");
    }
    JsonNode root;
    try {
      root = json.readTree(body);
    } catch (JsonParseException e) {
      throw new MalformedPayload("malformed JSON at " + e.getLocation().offsetDescription());
    } catch (IOException e) {
      throw new MalformedPayload("malformed JSON");
    }
    if (root == null || !root.isObject()) {
      throw new MalformedPayload("the body is not a JSON object");
    }
    return new Delivery(
        guid,
        event,
        text(root.get("action")),
        hookId,
        number(root.path("installation").get("id")),
        "workflow_job".equals(event) ? number(root.path("workflow_job").get("id")) : null,
        receivedAt,
        body);
  }

  private static String text(JsonNode n) {
    return n != null && n.isTextual() ? n.asText() : null;
  }

  private static Long number(JsonNode n) {
    return n != null && n.canConvertToLong() ? n.asLong() : null;
  }
}

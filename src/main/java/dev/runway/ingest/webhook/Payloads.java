package dev.runway.ingest.webhook;

import com.fasterxml.jackson.core.JsonParseException;
import com.fasterxml.jackson.core.JsonParser;
import com.fasterxml.jackson.core.JsonToken;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.runway.ingest.inbox.Delivery;
import java.io.IOException;
import java.time.Instant;

/** Parses a delivery body once, to reject malformed JSON and extract the inbox's columns. */
public final class Payloads {
  private final ObjectMapper json;

  public Payloads(ObjectMapper json) {
    this.json = json;
  }

  /** The body is not a JSON object. */
  static final class MalformedPayload extends Exception {
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
    // One streaming pass: it validates the whole document (skipped values are still tokenized)
    // and keeps only the inbox's columns, without building a tree of a 6 KB payload per request.
    try (JsonParser p = json.getFactory().createParser(body)) {
      if (p.nextToken() != JsonToken.START_OBJECT) {
        throw new MalformedPayload("the body is not a JSON object");
      }
      String action = null;
      Long installationId = null;
      Long jobId = null;
      while (p.nextToken() == JsonToken.FIELD_NAME) {
        String name = p.currentName();
        JsonToken value = p.nextToken();
        if (name.equals("action") && value == JsonToken.VALUE_STRING) {
          action = p.getText();
        } else if (name.equals("installation") && value == JsonToken.START_OBJECT) {
          installationId = idOf(p);
        } else if (name.equals("workflow_job") && value == JsonToken.START_OBJECT) {
          jobId = idOf(p);
        } else {
          p.skipChildren();
        }
      }
      if (p.nextToken() != null) {
        throw new MalformedPayload("malformed JSON: data after the object");
      }
      return new Delivery(
          guid,
          event,
          action,
          hookId,
          installationId,
          "workflow_job".equals(event) ? jobId : null,
          receivedAt,
          body);
    } catch (JsonParseException e) {
      throw new MalformedPayload("malformed JSON at " + e.getLocation().offsetDescription());
    } catch (IOException e) {
      throw new MalformedPayload("malformed JSON");
    }
  }

  /** Reads the object the parser is in, returning its numeric {@code id} field. */
  private static Long idOf(JsonParser p) throws IOException {
    Long id = null;
    while (p.nextToken() == JsonToken.FIELD_NAME) {
      String name = p.currentName();
      JsonToken value = p.nextToken();
      if (name.equals("id") && value == JsonToken.VALUE_NUMBER_INT) {
        id = p.getLongValue();
      } else {
        p.skipChildren();
      }
    }
    return id;
  }
}

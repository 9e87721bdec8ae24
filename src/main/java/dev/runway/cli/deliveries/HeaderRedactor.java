package dev.runway.cli.deliveries;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import java.util.ArrayList;
import java.util.List;
import java.util.regex.Pattern;

/**
 * Blanks headers that look secret (signatures, authorization, tokens, secrets, cookies, keys) in a
 * delivery's request and response, so {@code show} output can be pasted into a ticket.
 */
final class HeaderRedactor {

  static final String REDACTED = "[redacted]";
  private static final Pattern SECRET =
      Pattern.compile("signature|authorization|token|secret|cookie|key", Pattern.CASE_INSENSITIVE);

  private HeaderRedactor() {}

  static boolean isSecret(String headerName) {
    return SECRET.matcher(headerName).find();
  }

  /**
   * Redacts {@code request.headers} and {@code response.headers} of a delivery detail, in place.
   */
  static ObjectNode redact(ObjectNode detail) {
    redactHeaders(detail.path("request").path("headers"));
    redactHeaders(detail.path("response").path("headers"));
    return detail;
  }

  private static void redactHeaders(JsonNode headers) {
    if (headers instanceof ObjectNode object) {
      List<String> names = new ArrayList<>();
      object.fieldNames().forEachRemaining(names::add);
      for (String name : names) {
        if (isSecret(name)) {
          object.put(name, REDACTED);
        }
      }
    }
  }
}

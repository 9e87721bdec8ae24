package dev.runway.providers;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.Base64;
import java.util.List;

/**
 * An instance as a provider prints it (garm-provider-common's {@code params.ProviderInstance}):
 * {@code provider_id}, {@code name}, {@code status} ({@code running}, {@code error}, ...), {@code
 * provider_fault}. Other fields are ignored.
 *
 * @param providerFault the provider's error message, or empty; GARM's field is bytes, so JSON
 *     carries it as base64, but a plain string is read as it is
 */
record ProviderInstance(String providerId, String name, String status, String providerFault) {

  /** Whether the provider says the instance cannot become a runner. */
  boolean faulty() {
    return "error".equals(status) || !providerFault.isEmpty();
  }

  /** The id to address the instance with: its provider id, else its name (GARM does the same). */
  String id() {
    return providerId.isEmpty() ? name : providerId;
  }

  static ProviderInstance parse(ObjectMapper json, String stdout) throws IOException {
    return of(json.readTree(stdout));
  }

  static List<ProviderInstance> parseList(ObjectMapper json, String stdout) throws IOException {
    JsonNode root = json.readTree(stdout.isBlank() ? "[]" : stdout);
    if (root == null || root.isNull()) {
      return List.of();
    }
    if (!root.isArray()) {
      throw new IOException("ListInstances printed " + root.getNodeType() + ", not an array");
    }
    List<ProviderInstance> out = new ArrayList<>();
    for (JsonNode n : root) {
      out.add(of(n));
    }
    return out;
  }

  private static ProviderInstance of(JsonNode n) throws IOException {
    if (n == null || !n.isObject()) {
      throw new IOException("an instance must be a JSON object");
    }
    String name = n.path("name").asText("");
    String providerId = n.path("provider_id").asText("");
    if (name.isEmpty() && providerId.isEmpty()) {
      throw new IOException("an instance needs a provider_id or a name");
    }
    return new ProviderInstance(
        providerId, name, n.path("status").asText(""), fault(n.path("provider_fault").asText("")));
  }

  private static String fault(String raw) {
    if (raw.isEmpty()) {
      return "";
    }
    try {
      return new String(Base64.getDecoder().decode(raw), StandardCharsets.UTF_8).strip();
    } catch (IllegalArgumentException e) {
      return raw.strip();
    }
  }
}

package dev.runway.cli.githubapp;

import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.SerializationFeature;
import java.net.URI;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * The GitHub App manifest Runway's App is created from: its webhook at {@code
 * PUBLIC_URL/webhooks/github}, the permissions of {@link AppPermissions} and the {@code
 * workflow_job} event. Private: an App that mints runners for an account must not be installable by
 * strangers.
 *
 * @param redirectUrl where GitHub sends the browser back with the code, or null when the manifest
 *     is only printed (for a person who creates the App by hand)
 * @param userRepositories whether to ask for {@code administration: write}, which only jobs of
 *     user-owned repositories need
 */
record AppManifest(String name, URI publicUrl, URI redirectUrl, boolean userRepositories) {

  static final String WEBHOOK_PATH = "/webhooks/github";

  AppManifest {
    if (name == null || name.isBlank()) {
      throw new IllegalArgumentException("the App needs a name");
    }
    String scheme = publicUrl.getScheme();
    if (publicUrl.getHost() == null || !("https".equals(scheme) || "http".equals(scheme))) {
      throw new IllegalArgumentException(
          "--url must be the http(s) address GitHub reaches Runway at, e.g."
              + " https://runway.example.com, was "
              + publicUrl);
    }
  }

  /** Whether the public URL names this machine itself (localhost, 127.0.0.0/8, ::1, 0.0.0.0). */
  boolean loopback() {
    String host = publicUrl.getHost().toLowerCase(java.util.Locale.ROOT);
    if (host.startsWith("[") && host.endsWith("]")) {
      host = host.substring(1, host.length() - 1);
    }
    return host.equals("localhost")
        || host.endsWith(".localhost")
        || host.startsWith("127.")
        || host.equals("::1")
        || host.equals("0.0.0.0");
  }

  URI webhookUrl() {
    String base = publicUrl.toString();
    while (base.endsWith("/")) {
      base = base.substring(0, base.length() - 1);
    }
    return URI.create(base + WEBHOOK_PATH);
  }

  /** The manifest as GitHub reads it, fields in a stable order. */
  String json(boolean pretty) {
    Map<String, Object> m = new LinkedHashMap<>();
    m.put("name", name);
    m.put("url", publicUrl.toString());
    m.put("hook_attributes", Map.of("url", webhookUrl().toString(), "active", true));
    if (redirectUrl != null) {
      m.put("redirect_url", redirectUrl.toString());
    }
    m.put("public", false);
    // actions: write so that a pool's rerunOnRunnerLoss works without a second consent.
    m.put("default_permissions", AppPermissions.required(userRepositories, true));
    m.put("default_events", List.of(AppPermissions.EVENT));
    ObjectMapper mapper = new ObjectMapper();
    if (pretty) {
      mapper.enable(SerializationFeature.INDENT_OUTPUT);
    }
    try {
      return mapper.writeValueAsString(m);
    } catch (JsonProcessingException e) {
      throw new IllegalStateException("a map of strings always serializes", e);
    }
  }
}

package dev.runway.cli.credentials;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.dataformat.yaml.YAMLFactory;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Map;

/**
 * Named credential profiles, from {@code ~/.config/runway/profiles.yaml} or the file {@code
 * RUNWAY_CONFIG} names:
 *
 * <pre>
 * profiles:
 *   production:
 *     app_id: 123456
 *     private_key_command: op read op://infra/runway-app/private-key.pem
 *   ghes:
 *     app_id: 42
 *     private_key_file: ~/keys/runway-ghes.pem
 *     api_url: https://github.example.com/api/v3
 * </pre>
 *
 * The top-level {@code profiles:} key may be left out.
 */
final class Profiles {

  private Profiles() {}

  /** One profile; any field may be null. */
  record Profile(String appId, String privateKeyFile, String privateKeyCommand, String apiUrl) {
    static final Profile NONE = new Profile(null, null, null, null);
  }

  static Path location(Map<String, String> env) {
    String configured = env.get("RUNWAY_CONFIG");
    if (configured != null && !configured.isBlank()) {
      return Path.of(configured);
    }
    return home(env).resolve(".config/runway/profiles.yaml");
  }

  static Path home(Map<String, String> env) {
    String home = env.get("HOME");
    return Path.of(home != null && !home.isBlank() ? home : System.getProperty("user.home"));
  }

  static Profile load(Path file, String name) {
    JsonNode root;
    try {
      root = new ObjectMapper(new YAMLFactory()).readTree(Files.readAllBytes(file));
    } catch (IOException e) {
      throw new CredentialsException(
          "cannot read profile '" + name + "': " + file + " (" + reason(e) + ")");
    }
    JsonNode profiles = root != null && root.has("profiles") ? root.get("profiles") : root;
    JsonNode profile = profiles == null ? null : profiles.get(name);
    if (profile == null || !profile.isObject()) {
      throw new CredentialsException("no profile '" + name + "' in " + file);
    }
    return new Profile(
        text(profile, "app_id"),
        text(profile, "private_key_file"),
        text(profile, "private_key_command"),
        text(profile, "api_url"));
  }

  private static String text(JsonNode node, String field) {
    JsonNode value = node.get(field);
    return value == null || value.isNull() ? null : value.asText();
  }

  private static String reason(IOException e) {
    if (e instanceof java.nio.file.NoSuchFileException) {
      return "no such file";
    }
    if (e instanceof java.nio.file.AccessDeniedException) {
      return "not readable";
    }
    return "not valid YAML";
  }
}

package dev.runway.pools;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.JsonNodeFactory;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.runway.platform.config.Durations;
import java.nio.file.Path;
import java.time.Duration;
import java.util.Iterator;
import java.util.List;
import java.util.Objects;
import java.util.Set;

/**
 * A pool whose runners run on machines that a GARM-compatible external provider executable starts,
 * one instance per claim, instead of Pods or agents:
 *
 * <pre>
 * provider:
 *   executable: /opt/garm-provider-aws      # required, an absolute path
 *   config: /etc/runway/aws.toml            # required: GARM_PROVIDER_CONFIG_FILE
 *   image: ami-0abc                         # required
 *   flavor: t3.large                        # required
 *   osType: linux                           # linux (default) or windows
 *   osArch: amd64                           # amd64 (default), arm64, arm or i386
 *   extraSpecs: {subnet_id: subnet-1}       # optional, any mapping, handed over as JSON
 *   bootstrapTimeout: 20m                   # optional, default 20m
 *   callTimeout: 5m                         # optional, default 5m: each call of the executable
 *   minIdle: 0                              # optional: warm instances kept waiting for any job
 *   maxLaunchFailures: 5                    # optional: failures in a row before Degraded
 * </pre>
 *
 * <p>Validated on construction; the parser reports every problem with the field's name.
 *
 * @param extraSpecs a JSON object, never null (empty when not given)
 */
public record ProviderSpec(
    Path executable,
    Path config,
    String image,
    String flavor,
    String osType,
    String osArch,
    ObjectNode extraSpecs,
    Duration bootstrapTimeout,
    Duration callTimeout,
    int minIdle,
    int maxLaunchFailures) {

  public static final Duration DEFAULT_BOOTSTRAP_TIMEOUT = Duration.ofMinutes(20);
  public static final Duration DEFAULT_CALL_TIMEOUT = Duration.ofMinutes(5);
  public static final int DEFAULT_MAX_LAUNCH_FAILURES = 5;
  static final Set<String> OS_TYPES = Set.of("linux", "windows");
  static final Set<String> OS_ARCHES = Set.of("amd64", "arm64", "arm", "i386");
  static final Set<String> KEYS =
      Set.of(
          "executable",
          "config",
          "image",
          "flavor",
          "osType",
          "osArch",
          "extraSpecs",
          "bootstrapTimeout",
          "callTimeout",
          "minIdle",
          "maxLaunchFailures");

  public ProviderSpec {
    Objects.requireNonNull(executable, "provider.executable");
    Objects.requireNonNull(config, "provider.config");
    if (!executable.isAbsolute()) {
      throw new IllegalArgumentException("provider.executable must be an absolute path");
    }
    if (image == null || image.isBlank()) {
      throw new IllegalArgumentException("provider.image is required");
    }
    if (flavor == null || flavor.isBlank()) {
      throw new IllegalArgumentException("provider.flavor is required");
    }
    if (!OS_TYPES.contains(osType)) {
      throw new IllegalArgumentException("provider.osType must be one of " + OS_TYPES);
    }
    if (!OS_ARCHES.contains(osArch)) {
      throw new IllegalArgumentException("provider.osArch must be one of " + OS_ARCHES);
    }
    extraSpecs = extraSpecs == null ? JsonNodeFactory.instance.objectNode() : extraSpecs.deepCopy();
    if (bootstrapTimeout.isNegative() || bootstrapTimeout.isZero()) {
      throw new IllegalArgumentException("provider.bootstrapTimeout must be positive");
    }
    if (callTimeout.isNegative() || callTimeout.isZero()) {
      throw new IllegalArgumentException("provider.callTimeout must be positive");
    }
    if (minIdle < 0) {
      throw new IllegalArgumentException("provider.minIdle must be at least 0");
    }
    if (maxLaunchFailures < 1) {
      throw new IllegalArgumentException("provider.maxLaunchFailures must be at least 1");
    }
  }

  /** A copy: the record's own node must not be changed by a caller. */
  @Override
  public ObjectNode extraSpecs() {
    return extraSpecs.deepCopy();
  }

  /**
   * Reads a pool's {@code provider} mapping, or adds to {@code problems} (each naming its field)
   * and returns null.
   */
  static ProviderSpec read(JsonNode node, String where, List<String> problems) {
    String at = where + ": provider";
    if (!node.isObject()) {
      problems.add(at + " must be a mapping with executable, config, image and flavor");
      return null;
    }
    int before = problems.size();
    for (Iterator<String> keys = node.fieldNames(); keys.hasNext(); ) {
      String key = keys.next();
      if (!KEYS.contains(key)) {
        problems.add(at + ": unknown key \"" + key + "\" (allowed: " + KEYS + ")");
      }
    }
    Path executable = path(node, "executable", at, problems);
    Path config = path(node, "config", at, problems);
    String image = text(node, "image", null, at, problems);
    String flavor = text(node, "flavor", null, at, problems);
    String osType = text(node, "osType", "linux", at, problems);
    String osArch = text(node, "osArch", "amd64", at, problems);
    if (osType != null && !OS_TYPES.contains(osType)) {
      problems.add(at + ".osType must be one of " + OS_TYPES + ", got \"" + osType + "\"");
    }
    if (osArch != null && !OS_ARCHES.contains(osArch)) {
      problems.add(at + ".osArch must be one of " + OS_ARCHES + ", got \"" + osArch + "\"");
    }
    JsonNode extra = node.get("extraSpecs");
    if (extra != null && !extra.isNull() && !extra.isObject()) {
      problems.add(at + ".extraSpecs must be a mapping");
    }
    Duration bootstrap =
        duration(node, "bootstrapTimeout", DEFAULT_BOOTSTRAP_TIMEOUT, at, problems);
    Duration call = duration(node, "callTimeout", DEFAULT_CALL_TIMEOUT, at, problems);
    int minIdle = integer(node, "minIdle", 0, 0, at, problems);
    int maxFailures =
        integer(node, "maxLaunchFailures", DEFAULT_MAX_LAUNCH_FAILURES, 1, at, problems);
    if (problems.size() > before) {
      return null;
    }
    return new ProviderSpec(
        executable,
        config,
        image,
        flavor,
        osType,
        osArch,
        extra != null && extra.isObject() ? (ObjectNode) extra : null,
        bootstrap,
        call,
        minIdle,
        maxFailures);
  }

  private static String text(
      JsonNode node, String field, String fallback, String at, List<String> problems) {
    JsonNode v = node.get(field);
    if (v == null || v.isNull()) {
      if (fallback == null) {
        problems.add(at + "." + field + " is required");
      }
      return fallback;
    }
    if (!v.isTextual() || v.asText().isBlank()) {
      problems.add(at + "." + field + " must be a non-blank string, got " + v);
      return null;
    }
    return v.asText().trim();
  }

  private static Path path(JsonNode node, String field, String at, List<String> problems) {
    String s = text(node, field, null, at, problems);
    if (s == null) {
      return null;
    }
    Path p = Path.of(s);
    if (!p.isAbsolute()) {
      problems.add(at + "." + field + " must be an absolute path, got \"" + s + "\"");
      return null;
    }
    return p;
  }

  private static Duration duration(
      JsonNode node, String field, Duration fallback, String at, List<String> problems) {
    JsonNode v = node.get(field);
    if (v == null || v.isNull()) {
      return fallback;
    }
    try {
      Duration d = Durations.parse(v.asText());
      if (d.isZero() || d.isNegative()) {
        throw new IllegalArgumentException("not positive");
      }
      return d;
    } catch (RuntimeException e) {
      problems.add(at + "." + field + " must be a positive duration such as 20m, got " + v);
      return fallback;
    }
  }

  private static int integer(
      JsonNode node, String field, int fallback, int min, String at, List<String> problems) {
    JsonNode v = node.get(field);
    if (v == null || v.isNull()) {
      return fallback;
    }
    if (!v.isIntegralNumber() || !v.canConvertToInt() || v.intValue() < min) {
      problems.add(at + "." + field + " must be an integer of at least " + min + ", got " + v);
      return fallback;
    }
    return v.intValue();
  }
}

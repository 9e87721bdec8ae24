package dev.runway.pools;

import com.fasterxml.jackson.core.JsonParser;
import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.dataformat.yaml.YAMLFactory;
import java.io.IOException;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Set;

/**
 * Parses and validates a pools file. Accepts a top-level list of pools, or a mapping with a single
 * {@code pools:} key holding that list:
 *
 * <pre>
 * - name: macos-arm64
 *   labels: [macOS, ARM64]
 *   maxRunners: 3        # optional, at least 1
 *   runnerGroupId: 1     # optional, default 1
 *   rerunOnRunnerLoss: 1 # optional, default 0: reruns of a job whose runner was lost
 *   provider: {...}      # optional: a provider pool, see ProviderSpec
 * </pre>
 *
 * <p>An empty document is rejected rather than read as zero pools: a half-written file looks empty,
 * and "unknown is not empty". Zero pools are declared with {@code []} or {@code pools: []}. Unknown
 * keys and duplicate keys are rejected too, so a typo such as {@code maxRunner} cannot silently
 * drop a cap. Thread-safe: the mapper is configured once and only read.
 */
final class PoolsFileParser {

  private static final Set<String> POOL_KEYS =
      new LinkedHashSet<>(
          List.of(
              "name",
              PoolFields.LABELS,
              PoolFields.MAX_RUNNERS,
              PoolFields.RUNNER_GROUP_ID,
              PoolFields.RERUN_ON_RUNNER_LOSS,
              PoolFields.PROVIDER));

  private final ObjectMapper yaml =
      new ObjectMapper(new YAMLFactory()).enable(JsonParser.Feature.STRICT_DUPLICATE_DETECTION);

  /** The file's pools, or {@link InvalidPoolsFile} saying everything that is wrong with it. */
  List<Pool> parse(byte[] content) throws InvalidPoolsFile {
    JsonNode root = readTree(content);
    JsonNode list = poolList(root);
    List<String> problems = new ArrayList<>();
    List<Pool> pools = new ArrayList<>();
    Map<String, String> namesSeen = new HashMap<>();
    for (int i = 0; i < list.size(); i++) {
      Pool pool = pool(list.get(i), "pools[" + i + "]", problems);
      if (pool == null) {
        continue;
      }
      String previous = namesSeen.putIfAbsent(pool.name().toLowerCase(Locale.ROOT), pool.name());
      if (previous != null) {
        problems.add("pools[" + i + "]: duplicate pool name \"" + pool.name() + "\"");
      }
      pools.add(pool);
    }
    if (!problems.isEmpty()) {
      throw new InvalidPoolsFile("invalid", String.join("; ", problems));
    }
    return pools;
  }

  private JsonNode readTree(byte[] content) throws InvalidPoolsFile {
    try {
      JsonNode root = yaml.readTree(content);
      if (root == null || root.isMissingNode() || root.isNull()) {
        throw new InvalidPoolsFile(
            "invalid", "the file is empty; declare zero pools explicitly with [] or pools: []");
      }
      return root;
    } catch (JsonProcessingException e) {
      throw new InvalidPoolsFile("parse", "not valid YAML: " + oneLine(e.getOriginalMessage()));
    } catch (IOException e) {
      throw new InvalidPoolsFile("parse", "not valid YAML: " + e.getMessage());
    }
  }

  // SnakeYAML's messages draw the offending line over several lines; a log line is one line.
  private static String oneLine(String message) {
    return message == null ? "" : message.strip().replaceAll("\\s*\\R\\s*", " ");
  }

  private static JsonNode poolList(JsonNode root) throws InvalidPoolsFile {
    JsonNode list = root;
    if (root.isObject()) {
      List<String> problems = new ArrayList<>();
      PoolFields.rejectUnknownKeys(root, Set.of("pools"), "top level", problems);
      if (!problems.isEmpty()) {
        throw new InvalidPoolsFile("invalid", String.join("; ", problems));
      }
      list = root.get("pools");
    }
    if (list == null || !list.isArray()) {
      throw new InvalidPoolsFile(
          "invalid", "expected a list of pools, or a mapping with a \"pools\" list");
    }
    return list;
  }

  private static Pool pool(JsonNode node, String where, List<String> problems) {
    if (!node.isObject()) {
      problems.add(where + ": expected a mapping with name and labels, got " + node);
      return null;
    }
    JsonNode name = node.get("name");
    if (name == null || !name.isTextual() || name.asText().isBlank()) {
      problems.add(where + ": name is required and must be a non-blank string");
      return null;
    }
    String described = where + " (\"" + name.asText() + "\")";
    PoolFields.rejectUnknownKeys(node, POOL_KEYS, described, problems);
    return PoolFields.read(name.asText().trim(), node, described, true, problems);
  }

  /** A pools file that cannot be used, with a metric {@code reason} and a message for the log. */
  static final class InvalidPoolsFile extends Exception {
    private final String reason;

    InvalidPoolsFile(String reason, String message) {
      super(message, null, false, false);
      this.reason = reason;
    }

    String reason() {
      return reason;
    }
  }
}

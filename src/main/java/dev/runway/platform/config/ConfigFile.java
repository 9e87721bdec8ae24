package dev.runway.platform.config;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * The settings file every {@code runway} command reads: {@code runway.env} in the working
 * directory, or the file {@code RUNWAY_CONFIG_FILE} names. It holds {@code RUNWAY_*=value} lines in
 * the {@code .env} format (the one systemd's {@code EnvironmentFile=} reads too), so a setting has
 * one name whether it comes from the file or the environment.
 *
 * <p>Precedence, highest first: a command's flag, the environment variable, the file, the default.
 * So a second shell sees what the first one wrote down, and an environment variable still overrides
 * the file for one command.
 */
public final class ConfigFile {
  /** The variable that names the file; unset means {@link #DEFAULT_NAME} if it exists. */
  public static final String VARIABLE = "RUNWAY_CONFIG_FILE";

  public static final String DEFAULT_NAME = "runway.env";

  // KEY=value, KEY="value" or KEY='value', optionally after `export `.
  private static final Pattern LINE =
      Pattern.compile("(?:export\\s+)?([A-Z][A-Z0-9_]*)\\s*=\\s*(.*)");

  private ConfigFile() {}

  /**
   * The environment a command sees: {@code env} over the file's settings. A file that
   * RUNWAY_CONFIG_FILE names must exist; the default one may be absent.
   *
   * @throws ConfigException naming the file and line of a malformed line (never quoting a value)
   */
  public static Map<String, String> withFile(Map<String, String> env, Path workingDir) {
    String named = env.get(VARIABLE);
    Path file =
        named != null && !named.isBlank()
            ? workingDir.resolve(named)
            : workingDir.resolve(DEFAULT_NAME);
    if (!Files.exists(file)) {
      if (named != null && !named.isBlank()) {
        throw new ConfigException(VARIABLE, file + " does not exist");
      }
      return env;
    }
    Map<String, String> merged = new HashMap<>(read(file));
    merged.putAll(env);
    return Map.copyOf(merged);
  }

  /** The file's settings, in file order. */
  static Map<String, String> read(Path file) {
    List<String> lines;
    try {
      lines = Files.readAllLines(file, StandardCharsets.UTF_8);
    } catch (IOException e) {
      throw new ConfigException(
          VARIABLE, "cannot read " + file + " (" + e.getClass().getSimpleName() + ")");
    }
    Map<String, String> values = new LinkedHashMap<>();
    for (int i = 0; i < lines.size(); i++) {
      String line = lines.get(i).strip();
      if (line.isEmpty() || line.startsWith("#")) {
        continue;
      }
      Matcher m = LINE.matcher(line);
      if (!m.matches()) {
        // The line may hold a secret, so only its place is named.
        throw new ConfigException(
            VARIABLE, file + " line " + (i + 1) + " is not NAME=value (names are upper case)");
      }
      values.put(m.group(1), unquote(m.group(2).strip()));
    }
    return values;
  }

  private static String unquote(String v) {
    if (v.length() >= 2
        && (v.startsWith("\"") && v.endsWith("\"") || v.startsWith("'") && v.endsWith("'"))) {
      return v.substring(1, v.length() - 1);
    }
    // An unquoted value ends at a comment, as in a shell.
    int comment = v.indexOf(" #");
    return comment >= 0 ? v.substring(0, comment).stripTrailing() : v;
  }
}

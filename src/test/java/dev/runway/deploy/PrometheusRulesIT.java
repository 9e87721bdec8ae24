package dev.runway.deploy;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.fail;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.dataformat.yaml.YAMLFactory;
import java.io.File;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.Optional;
import java.util.Set;
import java.util.TreeSet;
import java.util.concurrent.TimeUnit;
import java.util.stream.Stream;
import org.junit.jupiter.api.Assumptions;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * deploy/prometheus/runway-rules.yaml passes {@code promtool check rules} and its unit tests
 * ({@code promtool test rules}); every alert has a case where it fires and one where it does not,
 * and a runbook section in docs/operations.md.
 *
 * <p>promtool comes from the Debian package {@code prometheus}; .ci/run installs it. In CI ({@code
 * CI=true}) a missing promtool fails the build, so the rules can never go unchecked there; on a
 * developer's machine the checks are skipped with the command that installs it.
 */
class PrometheusRulesIT {
  static final Path RULES = Path.of("deploy/prometheus/runway-rules.yaml");
  static final Path TESTS = Path.of("deploy/prometheus/tests");
  static final String INSTALL =
      "apt-get update && apt-get install -y --no-install-recommends prometheus";

  private final ObjectMapper yaml = new ObjectMapper(new YAMLFactory());

  @Test
  void promtool_accepts_the_rules() throws Exception {
    Result r = promtool("check", "rules", RULES.toString());

    assertThat(r.exit()).as(r.output()).isZero();
    assertThat(r.output()).contains("SUCCESS: " + alerts().size() + " rules found");
  }

  @Test
  void promtool_refuses_a_broken_rule(@TempDir Path dir) throws Exception {
    Path broken = dir.resolve("broken.yaml");
    Files.writeString(
        broken,
        Files.readString(RULES)
            .replace("runway_spool_depth > 0 and", "runway_spool_depth > > 0 and"));

    Result r = promtool("check", "rules", broken.toString());

    assertThat(r.exit()).as(r.output()).isNotZero();
    assertThat(r.output()).contains("FAILED");
  }

  @Test
  void promtool_unit_tests_pass() throws Exception {
    List<String> args = new ArrayList<>(List.of("test", "rules"));
    testFiles().forEach(f -> args.add(f.toString()));

    Result r = promtool(args.toArray(String[]::new));

    assertThat(r.exit()).as(r.output()).isZero();
    assertThat(r.output()).contains("SUCCESS");
  }

  @Test
  void every_alert_has_a_firing_case_and_a_silent_case() throws IOException {
    Set<String> fires = new TreeSet<>();
    Set<String> silent = new TreeSet<>();
    for (Path file : testFiles()) {
      for (JsonNode test : yaml.readTree(file.toFile()).path("tests")) {
        for (JsonNode check : test.path("alert_rule_test")) {
          String alert = check.path("alertname").asText();
          (check.path("exp_alerts").isEmpty() ? silent : fires).add(alert);
        }
      }
    }

    assertThat(fires).as("alerts with a case where they fire").containsAll(alerts());
    assertThat(silent).as("alerts with a case where they stay silent").containsAll(alerts());
  }

  @Test
  void every_alert_has_a_runbook_section() throws IOException {
    String operations = Files.readString(Path.of("docs/operations.md"));
    for (JsonNode rule : rules()) {
      String alert = rule.path("alert").asText();
      String runbook = rule.at("/annotations/runbook").asText();

      assertThat(runbook).isEqualTo("docs/operations.md#" + alert.toLowerCase(Locale.ROOT));
      assertThat(operations).as("a heading for " + alert).containsPattern("(?m)^#+ " + alert + "$");
      assertThat(rule.path("labels").path("severity").asText()).isIn("warning", "critical");
    }
  }

  // ---- helpers ----

  record Result(int exit, String output) {}

  private List<JsonNode> rules() throws IOException {
    List<JsonNode> rules = new ArrayList<>();
    for (JsonNode group : yaml.readTree(RULES.toFile()).path("groups")) {
      group.path("rules").forEach(rules::add);
    }
    return rules;
  }

  private Set<String> alerts() throws IOException {
    Set<String> names = new TreeSet<>();
    rules().forEach(r -> names.add(r.path("alert").asText()));
    return names;
  }

  private static List<Path> testFiles() throws IOException {
    try (Stream<Path> files = Files.list(TESTS)) {
      List<Path> list = files.filter(f -> f.toString().endsWith(".yaml")).sorted().toList();
      assertThat(list).as("promtool tests in " + TESTS).isNotEmpty();
      return list;
    }
  }

  private static Result promtool(String... args) throws Exception {
    Path promtool = findPromtool();
    List<String> command = new ArrayList<>();
    command.add(promtool.toString());
    command.addAll(List.of(args));
    Process p = new ProcessBuilder(command).redirectErrorStream(true).start();
    String out = new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
    assertThat(p.waitFor(60, TimeUnit.SECONDS)).as("promtool finished").isTrue();
    return new Result(p.exitValue(), out);
  }

  private static Path findPromtool() {
    Optional<Path> found =
        Stream.of(System.getenv().getOrDefault("PATH", "").split(File.pathSeparator))
            .filter(d -> !d.isBlank())
            .map(d -> Path.of(d, "promtool"))
            .filter(Files::isExecutable)
            .findFirst();
    if (found.isPresent()) {
      return found.get();
    }
    String message = "promtool is not installed; install it with: " + INSTALL;
    if ("true".equalsIgnoreCase(System.getenv("CI"))) {
      fail(message + " (.ci/run does this when promtool is missing)");
    }
    Assumptions.abort(message);
    throw new AssertionError("unreachable");
  }
}

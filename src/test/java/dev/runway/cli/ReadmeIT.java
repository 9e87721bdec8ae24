package dev.runway.cli;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import dev.runway.testing.ServiceProcess;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The README's own commands, as written there, against the service its first command starts: so the
 * README cannot drift from what Runway does. (The offline try-out, which covers the quickstart,
 * runs in .ci/run as scripts/quickstart-trial.sh.)
 */
class ReadmeIT {
  @Test
  void the_readme_delivery_ends_as_no_account_with_a_hint_and_its_fix_makes_the_job_claimable(
      @TempDir Path work) throws Exception {
    String readme = Files.readString(Path.of("README.md"));
    List<String> blocks = shellBlocks(readme);
    String first = blocks.get(0);
    assertThat(first).contains("java -jar target/runway.jar serve");
    // Command 1 writes runway.env; run that line as written, in the service's directory.
    String writeSettings =
        first.lines().filter(l -> l.startsWith("printf")).findFirst().orElseThrow();
    bash(work, writeSettings);
    Files.copy(Path.of("pools.yaml"), work.resolve("pools.yaml"));

    // The service of command 1, from the jar, with only runway.env for its settings.
    try (ServiceProcess svc =
        ServiceProcess.start(work, Map.of(), List.of(), ServiceProcess.freePort())
            .awaitReady(Duration.ofSeconds(120))) {
      await().atMost(Duration.ofSeconds(60)).until(() -> svc.log().contains("schema at version"));
      String delivery = section(readme, "## Send your own delivery").get(0);
      String sent =
          bash(work, delivery.replace("http://localhost:8080", svc.base().toString())).out();
      // Spooled is as good as accepted (stored durably, and drained into the database): on a
      // loaded machine the first commits may take longer than the intake budget.
      assertThat(sent)
          .contains("HTTP/1.1 202")
          .containsPattern("\"result\":\"(accepted|spooled)\"");
      await()
          .atMost(Duration.ofSeconds(60))
          .untilAsserted(
              () ->
                  assertThat(svc.log())
                      .contains(
                          "queued no_account: no account for acme (installation 4242): run"
                              + " 'runway accounts set acme --installation-id 4242 --enabled',"
                              + " then 'runway jobs redispatch --outcome no_account'")
                      .doesNotContain("no_account: null"));

      String fix = section(readme, "## Send your own delivery").get(1);
      String jar = Path.of("target/runway.jar").toAbsolutePath().toString();
      String script = "shopt -s expand_aliases\n" + fix.replace("target/runway.jar", jar);
      Result r = bash(work, script);
      assertThat(r.exit()).as(r.err()).isZero();
      await()
          .atMost(Duration.ofSeconds(60))
          .untilAsserted(
              () ->
                  assertThat(bash(work, "java -jar " + jar + " jobs list").out())
                      .containsPattern("1\\s+1\\s+acme/app\\s+queued\\s+linux-x64"));

      String token = section(readme, "## Send your own delivery").get(2);
      Result created =
          bash(work, "shopt -s expand_aliases\nalias runway='java -jar " + jar + "'\n" + token);
      assertThat(created.exit()).as(created.err()).isZero();
      assertThat(created.out().trim()).startsWith("rwo_");
    }
  }

  record Result(int exit, String out, String err) {}

  private static Result bash(Path dir, String script) throws Exception {
    Process p =
        new ProcessBuilder("bash", "-euo", "pipefail", "-c", script)
            .directory(dir.toFile())
            .start();
    p.getOutputStream().close();
    String out = new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
    String err = new String(p.getErrorStream().readAllBytes(), StandardCharsets.UTF_8);
    assertThat(p.waitFor(120, TimeUnit.SECONDS)).isTrue();
    return new Result(p.exitValue(), out, err);
  }

  private static final Pattern BLOCK = Pattern.compile("```sh\\n(.*?)```", Pattern.DOTALL);

  private static List<String> shellBlocks(String text) {
    List<String> blocks = new ArrayList<>();
    Matcher m = BLOCK.matcher(text);
    while (m.find()) {
      blocks.add(m.group(1));
    }
    return blocks;
  }

  /** The shell blocks of the README section that starts with {@code heading}. */
  private static List<String> section(String readme, String heading) {
    int start = readme.indexOf(heading);
    assertThat(start).as(heading).isNotNegative();
    int end = readme.indexOf("\n## ", start + heading.length());
    return shellBlocks(readme.substring(start, end < 0 ? readme.length() : end));
  }
}

package dev.runway.cli;

import static org.assertj.core.api.Assertions.assertThat;

import dev.runway.Main;
import java.io.IOException;
import java.io.PrintWriter;
import java.io.StringWriter;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.junit.jupiter.api.Test;

/** {@code runway --version} and {@code runway completion bash|zsh}, with their captured output. */
class CliConventionsTest {
  record Run(int exit, String out, String err) {}

  static Run run(String... args) {
    return run(Map.of(), args);
  }

  static Run run(Map<String, String> env, String... args) {
    StringWriter out = new StringWriter();
    StringWriter err = new StringWriter();
    int exit =
        Main.commandLine(env, new PrintWriter(out, true), new PrintWriter(err, true)).execute(args);
    return new Run(exit, out.toString(), err.toString());
  }

  @Test
  void version_prints_the_maven_project_version() throws IOException {
    Run run = run("--version");

    assertThat(run.exit()).isZero();
    assertThat(run.out().trim()).isEqualTo("runway " + projectVersion());
  }

  @Test
  void bash_completion_completes_subcommands_and_options() throws Exception {
    Run run = run("completion", "bash");
    assertThat(run.exit()).isZero();
    assertThat(run.out()).contains("complete -F _complete_runway");

    assertThat(complete(run.out(), "runway", "del")).isEqualTo("deliveries");
    assertThat(complete(run.out(), "runway", "deliveries", "red")).isEqualTo("redeliver");
    assertThat(complete(run.out(), "runway", "completion", "")).contains("bash", "zsh");
  }

  @Test
  void zsh_completion_is_the_script_that_loads_bashcompinit_under_zsh() {
    Run zsh = run("completion", "zsh");

    assertThat(zsh.exit()).isZero();
    assertThat(zsh.out()).isEqualTo(run("completion", "bash").out());
    String zshBranch = zsh.out().substring(zsh.out().indexOf("elif [ -n \"$ZSH_VERSION\" ]"));
    assertThat(zshBranch).contains("autoload -U +X bashcompinit && bashcompinit");
  }

  @Test
  void completion_for_an_unknown_shell_is_a_usage_error() {
    Run run = run("completion", "fish");

    assertThat(run.exit()).isEqualTo(2);
    assertThat(run.err()).contains("fish").contains("bash, zsh");
  }

  /** Sources the script in bash and asks its completion function, as bash does on TAB. */
  private static String complete(String script, String... words) throws Exception {
    Path file = Files.createTempFile("runway-completion", ".bash");
    try {
      Files.writeString(file, script);
      StringBuilder array = new StringBuilder();
      for (String w : words) {
        array.append('\'').append(w).append("' ");
      }
      String line = String.join(" ", words);
      String program =
          "source '"
              + file
              + "'; COMP_WORDS=("
              + array
              + "); COMP_CWORD="
              + (words.length - 1)
              + "; COMP_LINE='"
              + line
              + "'; COMP_POINT="
              + line.length()
              + "; _complete_runway; echo \"${COMPREPLY[*]}\"";
      Process p = new ProcessBuilder("bash", "-c", program).redirectErrorStream(true).start();
      String out = new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
      assertThat(p.waitFor(30, TimeUnit.SECONDS)).isTrue();
      assertThat(p.exitValue()).as(out).isZero();
      return out.trim();
    } finally {
      Files.deleteIfExists(file);
    }
  }

  /** The version in pom.xml: the one place it is written by hand. */
  private static String projectVersion() throws IOException {
    String pom = Files.readString(Path.of("pom.xml"));
    Matcher m =
        Pattern.compile("<artifactId>runway</artifactId>\\s*<version>([^<]+)</version>")
            .matcher(pom);
    assertThat(m.find()).as("project version in pom.xml").isTrue();
    return m.group(1);
  }
}

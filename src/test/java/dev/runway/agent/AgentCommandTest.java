package dev.runway.agent;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.time.Duration;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import picocli.CommandLine;

/** {@code runway agent}: exactly one of --runner-dir and --launcher; durations as people write. */
class AgentCommandTest {
  @TempDir Path dir;
  Path token;
  Path runnerDir;
  Path launcher;

  @BeforeEach
  void files() throws Exception {
    token = Files.writeString(dir.resolve("token"), "rwy_secret\n");
    runnerDir = Files.createDirectories(dir.resolve("runner"));
    Files.writeString(runnerDir.resolve("run.sh"), "#!/bin/sh\n");
    launcher = Files.writeString(dir.resolve("launch.sh"), "#!/bin/sh\n");
    Files.setPosixFilePermissions(launcher, PosixFilePermissions.fromString("rwxr-xr-x"));
  }

  private AgentSettings settings(String... how) throws Exception {
    AgentCommand c = new AgentCommand();
    String[] base = {
      "--url",
      "http://127.0.0.1:1",
      "--pool",
      "linux",
      "--token-file",
      token.toString(),
      "--work-root",
      dir.resolve("work").toString()
    };
    String[] args = new String[base.length + how.length];
    System.arraycopy(base, 0, args, 0, base.length);
    System.arraycopy(how, 0, args, base.length, how.length);
    new CommandLine(c).parseArgs(args);
    return c.settings();
  }

  @Test
  void a_launcher_replaces_the_runner_directory() throws Exception {
    AgentSettings s = settings("--launcher", launcher.toString());

    assertThat(s.launcher()).isEqualTo(launcher.toAbsolutePath());
    assertThat(s.runnerDir()).isNull();
    assertThat(s.startBackoff()).isEqualTo(Duration.ofSeconds(5));
    assertThat(s.toString())
        .contains("launcher=" + launcher.toAbsolutePath())
        .contains("jobTimeout=6h", "drainTimeout=10m", "pollWait=30s")
        .doesNotContain("PT")
        .doesNotContain("rwy_secret");
  }

  @Test
  void neither_both_nor_a_launcher_that_cannot_run_is_accepted() throws Exception {
    assertThatThrownBy(() -> settings())
        .isInstanceOf(IllegalArgumentException.class)
        .hasMessageContaining("--runner-dir DIR, or --launcher PATH");
    assertThatThrownBy(
            () -> settings("--runner-dir", runnerDir.toString(), "--launcher", launcher.toString()))
        .isInstanceOf(IllegalArgumentException.class)
        .hasMessageContaining("not both");
    Files.setPosixFilePermissions(launcher, PosixFilePermissions.fromString("rw-r--r--"));
    assertThatThrownBy(() -> settings("--launcher", launcher.toString()))
        .isInstanceOf(IllegalArgumentException.class)
        .hasMessageContaining("is not an executable file");
    assertThat(settings("--runner-dir", runnerDir.toString()).launcher()).isNull();
  }
}

package dev.runway.agent;

import static org.assertj.core.api.Assertions.assertThat;

import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.util.List;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

/**
 * Each job's directory is a copy no job can reach through: a job that appends to its {@code run.sh}
 * and to a file under {@code bin/} leaves the template, and so the next job's copies, unchanged.
 * Both ways of copying: GNU {@code cp --reflink=auto -a}, and the Java copy of hosts without it.
 */
class RunnerDirsTest {
  @TempDir Path dir;

  @ParameterizedTest(name = "cp={0}")
  @ValueSource(booleans = {true, false})
  void a_job_that_rewrites_run_sh_and_bin_leaves_the_next_job_byte_identical_copies(boolean cp)
      throws Exception {
    Path template = Files.createDirectories(dir.resolve("actions-runner"));
    Files.createDirectories(template.resolve("bin"));
    Path run = template.resolve("run.sh");
    Files.writeString(
        run,
        """
        #!/bin/sh
        # A job that plants code: in its own run.sh, and in the runner's binaries.
        echo 'echo planted' >> "$0"
        echo 'planted' >> bin/Runner.Listener
        """);
    Files.setPosixFilePermissions(run, PosixFilePermissions.fromString("rwxr-xr-x"));
    Files.writeString(template.resolve("bin/Runner.Listener"), "the listener\n");
    Files.createSymbolicLink(template.resolve("bin/current"), Path.of("Runner.Listener"));
    // The template as it was, to compare bytes with (Files.mismatch: -1 is identical).
    Path runBefore = Files.copy(run, dir.resolve("run.sh-before"));
    Path binBefore = Files.copy(template.resolve("bin/Runner.Listener"), dir.resolve("bin-before"));
    RunnerDirs dirs = new RunnerDirs(template, dir.resolve("work"), cp);

    Path first = dirs.prepare(1);
    Process job =
        new ProcessBuilder(first.resolve("run.sh").toString())
            .directory(first.toFile())
            .inheritIO()
            .start();
    assertThat(job.waitFor(30, TimeUnit.SECONDS)).isTrue();
    assertThat(job.exitValue()).isZero();
    // The job did change its own copy: the test would not notice a job that could not write.
    assertThat(Files.readString(first.resolve("run.sh"))).endsWith("echo planted\n");
    assertThat(Files.readString(first.resolve("bin/Runner.Listener"))).endsWith("planted\n");
    Path second = dirs.prepare(2);

    for (Path p : List.of(template, second)) {
      assertThat(Files.mismatch(p.resolve("run.sh"), runBefore)).isEqualTo(-1);
      assertThat(Files.mismatch(p.resolve("bin/Runner.Listener"), binBefore)).isEqualTo(-1);
    }
    assertThat(Files.isExecutable(second.resolve("run.sh"))).isTrue();
    assertThat(Files.readSymbolicLink(second.resolve("bin/current")))
        .isEqualTo(Path.of("Runner.Listener"));
    assertThat(Files.isSameFile(second.resolve("run.sh"), run)).isFalse();
    assertThat(Files.isSameFile(second.resolve("run.sh"), first.resolve("run.sh"))).isFalse();
  }

  @ParameterizedTest(name = "cp={0}")
  @ValueSource(booleans = {true, false})
  void an_old_directory_of_the_same_claim_is_replaced(boolean cp) throws Exception {
    Path template = Files.createDirectories(dir.resolve("actions-runner"));
    Files.writeString(template.resolve("run.sh"), "#!/bin/sh\n");
    RunnerDirs dirs = new RunnerDirs(template, dir.resolve("work"), cp);
    Path d = dirs.prepare(7);
    Files.writeString(d.resolve(".runner"), "state of a runner that died");

    Path again = dirs.prepare(7);

    assertThat(again).isEqualTo(d);
    assertThat(again.resolve(".runner")).doesNotExist();
    assertThat(again.resolve("run.sh")).exists();
  }

  @Test
  void the_copy_is_a_reflink_where_the_file_system_has_one_gnu_or_apfs() {
    assertThat(RunnerDirs.cpCommand("Linux", Path.of("/t"), Path.of("/w/claim-1")))
        .containsExactly("cp", "--reflink=auto", "-a", "/t/.", "/w/claim-1");
    assertThat(RunnerDirs.cpCommand("Mac OS X", Path.of("/t"), Path.of("/w/claim-1")))
        .containsExactly("cp", "-c", "-a", "/t/.", "/w/claim-1");
  }
}

package dev.runway.agent;

import java.io.BufferedReader;
import java.io.IOException;
import java.io.InputStreamReader;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.concurrent.TimeUnit;
import java.util.stream.Collectors;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * One Actions runner: {@code run.sh} in the job's directory, with the JIT config in {@code
 * ACTIONS_RUNNER_INPUT_JITCONFIG} (the environment is private to the process; the command line is
 * not, {@code ps} shows it). Its output goes to the agent's log line by line with the claim and job
 * in front, and tells whether a job started and whether the runner says it is too old.
 */
final class RunnerProcess {
  private static final Logger log = LoggerFactory.getLogger("dev.runway.agent.runner");

  /** The Actions runner's line when it takes a job. */
  private static final String JOB_STARTED = "running job:";

  private static final String JIT_ENV = "ACTIONS_RUNNER_INPUT_JITCONFIG";
  private static final Duration TERM_GRACE = Duration.ofSeconds(5);

  private final Process process;
  private final String label;
  private final Thread pump;
  private volatile boolean jobStarted;
  private volatile boolean deprecated;
  private volatile boolean killing;

  private RunnerProcess(Process process, String label, String secret) {
    this.process = process;
    this.label = label;
    this.pump = new Thread(() -> pump(secret), "runner-output-" + process.pid());
    pump.setDaemon(true);
    pump.start();
  }

  /** Starts {@code dir/run.sh args...} with the JIT config in its environment. */
  static RunnerProcess start(Path dir, List<String> args, String jitConfig, String label)
      throws IOException {
    List<String> command = new ArrayList<>();
    command.add(dir.resolve("run.sh").toString());
    command.addAll(args);
    ProcessBuilder pb = new ProcessBuilder(command).directory(dir.toFile());
    pb.redirectErrorStream(true);
    pb.environment().put(JIT_ENV, jitConfig);
    return new RunnerProcess(pb.start(), label, jitConfig);
  }

  private void pump(String secret) {
    try (BufferedReader r =
        new BufferedReader(
            new InputStreamReader(process.getInputStream(), StandardCharsets.UTF_8))) {
      String line;
      while ((line = r.readLine()) != null) {
        String lower = line.toLowerCase(Locale.ROOT);
        // A job "started" while the runner is being killed never ran.
        if (lower.contains(JOB_STARTED) && !killing) {
          jobStarted = true;
        }
        // "Runner version v2.x is deprecated and cannot receive messages."
        if (lower.contains("deprecated") && lower.contains("version")) {
          deprecated = true;
        }
        // A runner that echoes its config must not put it in the agent's log.
        log.info("[{}] {}", label, line.replace(secret, "<redacted>"));
      }
    } catch (IOException e) {
      // The process ended and its pipe closed.
    }
  }

  long pid() {
    return process.pid();
  }

  /**
   * Waits up to {@code d} for the runner to exit.
   *
   * @return whether it exited
   */
  boolean waitFor(Duration d) throws InterruptedException {
    return process.waitFor(Math.max(0, d.toMillis()), TimeUnit.MILLISECONDS);
  }

  /** The exit code, once it exited; its output is drained first so no line is lost. */
  int exitCode() throws InterruptedException {
    int code = process.waitFor();
    pump.join(TimeUnit.SECONDS.toMillis(5));
    return code;
  }

  boolean jobStarted() {
    return jobStarted;
  }

  boolean deprecatedVersion() {
    return deprecated;
  }

  /**
   * Kills the runner and everything it started: TERM to the whole tree, then KILL to what is left
   * after a short grace. The tree is read before the runner dies, since its children are
   * re-parented then and can no longer be found from it.
   */
  void killTree() throws InterruptedException {
    killing = true;
    List<ProcessHandle> tree =
        process.descendants().collect(Collectors.toCollection(ArrayList::new));
    tree.add(process.toHandle());
    tree.forEach(ProcessHandle::destroy);
    long deadline = System.nanoTime() + TERM_GRACE.toNanos();
    for (ProcessHandle p : tree) {
      long left = deadline - System.nanoTime();
      if (left > 0) {
        try {
          p.onExit().get(left, TimeUnit.NANOSECONDS);
        } catch (java.util.concurrent.ExecutionException
            | java.util.concurrent.TimeoutException e) {
          // Killed below.
        }
      }
    }
    for (ProcessHandle p : tree) {
      p.descendants().forEach(ProcessHandle::destroyForcibly);
      p.destroyForcibly();
    }
    process.waitFor();
    log.info("[{}] runner process tree killed", label);
  }
}

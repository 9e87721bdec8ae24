package dev.runway.runners;

import dev.runway.claims.RunnerState;
import java.util.Locale;

/**
 * What the starter of a claim's runner (the host agent, or a provisioner) reports about it. Each is
 * one transition of {@link RunnerStates}.
 */
public sealed interface ClaimEvent {

  /** The target state, as far as it is known from the event alone. */
  RunnerState target();

  /** The runner is being started. */
  record Launching() implements ClaimEvent {
    @Override
    public RunnerState target() {
      return RunnerState.LAUNCHING;
    }
  }

  /** The runner process is up. */
  record Started() implements ClaimEvent {
    @Override
    public RunnerState target() {
      return RunnerState.RUNNING;
    }
  }

  /**
   * The runner is gone.
   *
   * @param exitCode its exit code; null when it never started (the launch itself failed)
   * @param jobStarted whether it started a job, as its starter saw it
   * @param deprecatedVersion whether it said its version is deprecated (it will never get a job)
   * @param killed why its starter killed it, or null when it exited by itself
   * @param lastStderrLine the last line it wrote to stderr, at most {@link #STDERR_LINE_MAX}
   *     characters, or null; what the pool page shows when its runners fail to start
   */
  record Exited(
      Integer exitCode,
      boolean jobStarted,
      boolean deprecatedVersion,
      Kill killed,
      String lastStderrLine)
      implements ClaimEvent {
    /** The exit code of an Actions runner that refuses to run because it is too old. */
    public static final int OUTDATED_EXIT_CODE = 7;

    /** The longest stderr line kept: enough for an error message, too short for a log dump. */
    public static final int STDERR_LINE_MAX = 300;

    public Exited {
      if (lastStderrLine != null) {
        lastStderrLine = lastStderrLine.strip();
        if (lastStderrLine.isEmpty()) {
          lastStderrLine = null;
        } else if (lastStderrLine.length() > STDERR_LINE_MAX) {
          lastStderrLine = lastStderrLine.substring(0, STDERR_LINE_MAX);
        }
      }
    }

    /** Without a stderr line: what a provisioner, which has no runner output, reports. */
    public Exited(Integer exitCode, boolean jobStarted, boolean deprecatedVersion, Kill killed) {
      this(exitCode, jobStarted, deprecatedVersion, killed, null);
    }

    @Override
    public RunnerState target() {
      return jobStarted ? RunnerState.DONE : RunnerState.FAILED;
    }

    /** Why a runner that never ran a job failed: the {@code reason} label. */
    public FailureReason failureReason() {
      if (deprecatedVersion || (exitCode != null && exitCode == OUTDATED_EXIT_CODE)) {
        return FailureReason.RUNNER_OUTDATED;
      }
      if (killed != null) {
        return killed == Kill.JOB_TIMEOUT ? FailureReason.JOB_TIMEOUT : FailureReason.STOPPED;
      }
      return exitCode == null ? FailureReason.LAUNCH_ERROR : FailureReason.EXITED_BEFORE_JOB;
    }
  }

  /**
   * A provisioner gave up on a runner that never ran a job (its Pod did not start, or the platform
   * reported a failure the runner cannot recover from). Ends like an {@link Exited} without a job:
   * {@code failed} with {@code reason}, the claim released unless an {@code in_progress} bound it.
   */
  record LaunchFailed(FailureReason reason) implements ClaimEvent {
    @Override
    public RunnerState target() {
      return RunnerState.FAILED;
    }
  }

  /** Why a starter killed its runner. */
  enum Kill {
    /** It ran past {@code --job-timeout}. */
    JOB_TIMEOUT,
    /** The starter stopped (drain timeout, second SIGTERM). */
    STOPPED;

    public String label() {
      return name().toLowerCase(Locale.ROOT);
    }

    public static Kill of(String label) {
      return valueOf(label.toUpperCase(Locale.ROOT));
    }
  }

  /** The {@code reason} of {@code runway_runner_launch_failures_total} and of a failed claim. */
  enum FailureReason {
    /** Exit code 7 or the runner's "deprecated version" message: update the runner. */
    RUNNER_OUTDATED,
    /** The runner could not be started at all (no run.sh, no directory, exec failed). */
    LAUNCH_ERROR,
    /** The runner exited by itself before any job. */
    EXITED_BEFORE_JOB,
    /** Killed at the job timeout before any job. */
    JOB_TIMEOUT,
    /** Killed because its starter stopped. */
    STOPPED,
    /** No starter reported anything before the claim's lease ran out ({@code ClaimRepository}). */
    LEASE_EXPIRED,
    /** Kubernetes: the Pod was still {@code Pending} at the pool's {@code startTimeout}. */
    START_TIMEOUT,
    /** Kubernetes: the Pod was still unschedulable at the pool's {@code startTimeout}. */
    UNSCHEDULABLE,
    /** Kubernetes: {@code ImagePullBackOff} or {@code ErrImagePull}: the image cannot be pulled. */
    IMAGE_PULL,
    /** Kubernetes: {@code CreateContainerConfigError}: a referenced Secret or ConfigMap is bad. */
    CREATE_CONTAINER_CONFIG,
    /** Kubernetes: the Pod vanished (deleted or evicted by someone else) before any job. */
    POD_LOST,
    /** Provider pools: the executable exited non-zero or ran past its call timeout. */
    PROVIDER_ERROR,
    /** Provider pools: the instance came back with status {@code error} or a provider fault. */
    PROVIDER_FAULT,
    /** Provider pools: the bootstrap script reported {@code failed}. */
    BOOTSTRAP_FAILED,
    /** Provider pools: the instance did not report its runner installed within the timeout. */
    BOOTSTRAP_TIMEOUT,
    /** Provider pools: the instance vanished (or Runway lost track of it) before any job. */
    INSTANCE_LOST;

    public String label() {
      return name().toLowerCase(Locale.ROOT);
    }
  }
}

package dev.runway.providers;

import dev.runway.pools.ProviderSpec;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.Base64;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.Executor;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;

/**
 * Runs a GARM external provider executable (interface {@code v0.1.1}) for one pool, as GARM does:
 * the operation and its parameters in the environment ({@code GARM_COMMAND}, {@code
 * GARM_PROVIDER_CONFIG_FILE}, {@code GARM_CONTROLLER_ID}, {@code GARM_POOL_ID}, {@code
 * GARM_INSTANCE_ID}, {@code GARM_POOL_EXTRASPECS} as base64 JSON, {@code GARM_INTERFACE_VERSION}),
 * the {@code BootstrapInstance} on stdin for {@code CreateInstance}, JSON on stdout.
 *
 * <ul>
 *   <li>Nothing secret is ever in argv (there are no arguments) or in the environment: the instance
 *       token reaches the executable on stdin only, and the JIT config not at all (the instance
 *       fetches it from the metadata endpoints).
 *   <li>Runway's own {@code RUNWAY_*} variables are removed from the environment the executable
 *       inherits (they hold the database password and webhook secrets); everything else stays, as
 *       cloud SDKs read their credentials from there.
 *   <li>Every call has a timeout; past it the process and every process it started are destroyed.
 *   <li>Its stderr is never logged as is: only its last line, with the call's secrets removed.
 * </ul>
 *
 * Thread-safe: each call is its own process.
 */
final class ProviderExecutable {
  static final String INTERFACE_VERSION = "v0.1.1";
  static final int EXIT_NOT_FOUND = 30;
  private static final int STDERR_LINE_MAX = 300;

  /** How long the output readers may lag behind the process's exit (a child kept a pipe open). */
  private static final Duration DRAIN = Duration.ofSeconds(2);

  private final ProviderSpec spec;
  private final String controllerId;
  private final String poolId;
  private final Executor readers;

  /**
   * @param readers runs the two readers of each call's stdout and stderr; a cached pool of daemon
   *     threads, since a reader may block as long as a stray child process keeps a pipe open
   */
  ProviderExecutable(ProviderSpec spec, String controllerId, String poolId, Executor readers) {
    this.spec = spec;
    this.controllerId = controllerId;
    this.poolId = poolId;
    this.readers = readers;
  }

  /** {@code CreateInstance}: {@code bootstrap} is the BootstrapInstance JSON. */
  ProviderCall create(byte[] bootstrap, List<String> secrets) {
    return run("CreateInstance", null, bootstrap, secrets);
  }

  /** {@code DeleteInstance} of a provider id, or of the instance's name before it had one. */
  ProviderCall delete(String instanceId) {
    return run("DeleteInstance", instanceId, null, List.of());
  }

  /** {@code GetInstance}. */
  ProviderCall get(String instanceId) {
    return run("GetInstance", instanceId, null, List.of());
  }

  /** {@code ListInstances} of this pool. */
  ProviderCall list() {
    return run("ListInstances", null, null, List.of());
  }

  /** The environment of one call: GARM's variables over Runway's minus {@code RUNWAY_*}. */
  Map<String, String> environment(String command, String instanceId) {
    Map<String, String> env = new HashMap<>(System.getenv());
    env.keySet().removeIf(k -> k.startsWith("RUNWAY_"));
    env.put("GARM_COMMAND", command);
    env.put("GARM_PROVIDER_CONFIG_FILE", spec.config().toString());
    env.put("GARM_CONTROLLER_ID", controllerId);
    env.put("GARM_POOL_ID", poolId);
    env.put(
        "GARM_POOL_EXTRASPECS",
        Base64.getEncoder()
            .encodeToString(spec.extraSpecs().toString().getBytes(StandardCharsets.UTF_8)));
    env.put("GARM_INTERFACE_VERSION", INTERFACE_VERSION);
    if (instanceId != null) {
      env.put("GARM_INSTANCE_ID", instanceId);
    } else {
      env.remove("GARM_INSTANCE_ID");
    }
    return env;
  }

  private ProviderCall run(String command, String instanceId, byte[] stdin, List<String> secrets) {
    ProcessBuilder pb = new ProcessBuilder(spec.executable().toString());
    pb.environment().clear();
    pb.environment().putAll(environment(command, instanceId));
    if (stdin == null) {
      pb.redirectInput(ProcessBuilder.Redirect.from(nullFile()));
    }
    Process p;
    try {
      p = pb.start();
    } catch (IOException e) {
      return new ProviderCall.NotStarted(e.getMessage());
    }
    CompletableFuture<byte[]> out =
        CompletableFuture.supplyAsync(() -> readAll(p.getInputStream()), readers);
    CompletableFuture<byte[]> err =
        CompletableFuture.supplyAsync(() -> readAll(p.getErrorStream()), readers);
    if (stdin != null) {
      try (OutputStream in = p.getOutputStream()) {
        in.write(stdin);
      } catch (IOException e) {
        // It exited without reading; its exit code says why.
      }
    }
    boolean exited;
    try {
      exited = p.waitFor(spec.callTimeout().toNanos(), TimeUnit.NANOSECONDS);
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      exited = false;
    }
    if (!exited) {
      destroy(p);
      return new ProviderCall.TimedOut(spec.callTimeout());
    }
    int code = p.exitValue();
    String stdout = new String(drained(out), StandardCharsets.UTF_8);
    if (code == 0) {
      return new ProviderCall.Ok(stdout);
    }
    if (code == EXIT_NOT_FOUND) {
      return new ProviderCall.NotFound();
    }
    return new ProviderCall.Failed(code, lastLine(drained(err), secrets));
  }

  private static java.io.File nullFile() {
    return new java.io.File("/dev/null");
  }

  private static void destroy(Process p) {
    p.descendants().forEach(ProcessHandle::destroyForcibly);
    p.destroyForcibly();
    try {
      p.waitFor(5, TimeUnit.SECONDS);
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
    }
  }

  private static byte[] readAll(InputStream in) {
    ByteArrayOutputStream buf = new ByteArrayOutputStream();
    try (in) {
      in.transferTo(buf);
    } catch (IOException e) {
      // Closed under us: what was read is all there is.
    }
    return buf.toByteArray();
  }

  /** What a reader got; a child that keeps the pipe open costs {@link #DRAIN} at most. */
  private static byte[] drained(CompletableFuture<byte[]> f) {
    try {
      return f.get(DRAIN.toMillis(), TimeUnit.MILLISECONDS);
    } catch (TimeoutException | ExecutionException e) {
      return new byte[0];
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      return new byte[0];
    }
  }

  static String lastLine(byte[] stderr, List<String> secrets) {
    String text = new String(stderr, StandardCharsets.UTF_8).strip();
    if (text.isEmpty()) {
      return null;
    }
    String[] lines = text.split("\\R");
    String line = lines[lines.length - 1].strip();
    for (String s : secrets) {
      if (s != null && !s.isEmpty()) {
        line = line.replace(s, "<redacted>");
      }
    }
    return line.length() > STDERR_LINE_MAX ? line.substring(0, STDERR_LINE_MAX) : line;
  }
}

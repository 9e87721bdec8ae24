package dev.runway.cli.credentials;

import java.io.IOException;
import java.io.InputStream;
import java.time.Duration;
import java.util.Arrays;
import java.util.List;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.FutureTask;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;

/**
 * Runs a key-printing command (a password manager's {@code op read ...}) without a shell and
 * returns its stdout. The command gets no stdin, its stderr goes to ours (so a sign-in prompt or
 * error is visible), its output is bounded, and it must finish within the timeout.
 */
final class KeyCommand {

  static final int MAX_OUTPUT = 64 * 1024;

  private KeyCommand() {}

  /**
   * @return the command's stdout; the caller clears it after use
   * @throws KeyCommandException with a short reason that never quotes the output
   */
  static byte[] run(List<String> argv, Duration timeout) {
    if (argv.isEmpty()) {
      throw new KeyCommandException("empty command");
    }
    Process process;
    try {
      process = new ProcessBuilder(argv).redirectError(ProcessBuilder.Redirect.INHERIT).start();
      process.getOutputStream().close();
    } catch (IOException e) {
      throw new KeyCommandException("cannot start " + argv.get(0));
    }
    FutureTask<byte[]> reader = new FutureTask<>(() -> readBounded(process.getInputStream()));
    Thread thread = new Thread(reader, "private-key-command-reader");
    thread.setDaemon(true);
    thread.start();
    try {
      return awaitOutput(process, reader, timeout);
    } finally {
      process.destroyForcibly();
    }
  }

  private static byte[] awaitOutput(Process process, FutureTask<byte[]> reader, Duration timeout) {
    long deadline = System.nanoTime() + timeout.toNanos();
    try {
      if (!process.waitFor(timeout.toNanos(), TimeUnit.NANOSECONDS)) {
        throw new KeyCommandException("timed out after " + timeout.toSeconds() + " s");
      }
      byte[] output = reader.get(Math.max(0, deadline - System.nanoTime()), TimeUnit.NANOSECONDS);
      if (process.exitValue() != 0) {
        Arrays.fill(output, (byte) 0);
        throw new KeyCommandException("exited with status " + process.exitValue());
      }
      return output;
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      throw new KeyCommandException("interrupted");
    } catch (TimeoutException e) {
      throw new KeyCommandException("timed out after " + timeout.toSeconds() + " s");
    } catch (ExecutionException e) {
      throw new KeyCommandException(
          e.getCause() instanceof KeyCommandException k
              ? k.getMessage()
              : "cannot read its output");
    }
  }

  /** Reads into one fixed buffer, so no stray copies of the key are left in resized arrays. */
  private static byte[] readBounded(InputStream in) throws IOException {
    byte[] buffer = new byte[MAX_OUTPUT];
    int length = 0;
    try (in) {
      int n;
      while ((n = in.read(buffer, length, buffer.length - length)) > 0) {
        length += n;
      }
      if (n == 0 && in.read() >= 0) {
        throw new KeyCommandException("printed more than " + MAX_OUTPUT / 1024 + " KiB");
      }
      return Arrays.copyOf(buffer, length);
    } finally {
      Arrays.fill(buffer, (byte) 0);
    }
  }

  /** The command failed; the message is a short reason. */
  static final class KeyCommandException extends RuntimeException {
    private static final long serialVersionUID = 1L;

    KeyCommandException(String message) {
      super(message);
    }
  }
}

package dev.runway.cli;

import java.io.PrintWriter;
import picocli.CommandLine.Model.CommandSpec;

/**
 * How the token commands ({@code pools token}, {@code operators token}) answer: a new secret alone
 * on standard output (so it pipes into a file or a secret store) with its description on standard
 * error, and one line for a revocation.
 */
public final class TokenOutput {
  private TokenOutput() {}

  /** Prints a new token once; Runway keeps only its hash, so it cannot be shown again. */
  public static int created(CommandSpec spec, String description, String secret) {
    PrintWriter err = spec.commandLine().getErr();
    err.println(description + " (shown once; Runway keeps only a hash):");
    err.flush();
    spec.commandLine().getOut().println(secret);
    spec.commandLine().getOut().flush();
    return 0;
  }

  /**
   * Reports a revocation; when there was no live token {@code id} it throws, which {@link
   * ExitCodes} turns into exit 1 and one line on stderr.
   */
  public static int revoked(CommandSpec spec, String what, long id, boolean done) {
    if (!done) {
      throw new IllegalStateException("no live token " + id);
    }
    spec.commandLine().getOut().println(what + " " + id + " revoked");
    spec.commandLine().getOut().flush();
    return 0;
  }
}

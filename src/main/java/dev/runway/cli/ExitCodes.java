package dev.runway.cli;

import java.io.PrintWriter;
import picocli.CommandLine;

/**
 * The one mapping of failures to exit codes and stderr for every {@code runway} command: a usage
 * error (bad flags, a {@link UsageException}) exits 2, anything else a command throws exits 1.
 * Either way stderr gets one line, {@code error: <message>}, and stdout nothing, so output pipes
 * cleanly. A check that ran and found differences exits 3 ({@link #DIFFERENCES}). Commands report
 * failures by throwing; they do not print errors or pick exit codes themselves.
 */
public final class ExitCodes {
  public static final int OK = CommandLine.ExitCode.OK;
  public static final int RUNTIME = CommandLine.ExitCode.SOFTWARE;
  public static final int USAGE = CommandLine.ExitCode.USAGE;

  /**
   * A check ran and found what it looks for ({@code runway audit}: GitHub and Runway differ): not a
   * failure of the command, so distinct from 1 and 2.
   */
  public static final int DIFFERENCES = 3;

  private ExitCodes() {}

  /**
   * Installs the mapping and the writers (the console when null) on a fully assembled command line:
   * picocli copies them to the subcommands present at this point.
   */
  public static CommandLine install(CommandLine cli, PrintWriter out, PrintWriter err) {
    if (out != null) {
      cli.setOut(out);
    }
    if (err != null) {
      cli.setErr(err);
    }
    cli.setParameterExceptionHandler(ExitCodes::usageError);
    // A closed option's other values are usage errors too (Choices), for every subcommand.
    cli.setExecutionStrategy(Choices.strict(new CommandLine.RunLast()));
    cli.setExecutionExceptionHandler(
        (e, cmd, parsed) -> {
          cmd.getOut().flush();
          return fail(cmd.getErr(), oneLine(e.getMessage()), exitCode(e));
        });
    return cli;
  }

  static int exitCode(Exception e) {
    return e instanceof UsageException ? USAGE : RUNTIME;
  }

  /** The message on one line, for a one-line report on stderr. */
  public static String oneLine(String message) {
    return message == null ? "unexpected error" : message.replaceAll("\\s+", " ").trim();
  }

  private static int usageError(CommandLine.ParameterException e, String[] args) {
    CommandLine cmd = e.getCommandLine();
    String help = " (see '" + cmd.getCommandSpec().qualifiedName() + " --help')";
    return fail(cmd.getErr(), oneLine(e.getMessage()) + help, USAGE);
  }

  private static int fail(PrintWriter err, String line, int exitCode) {
    err.println("error: " + line);
    err.flush();
    return exitCode;
  }
}

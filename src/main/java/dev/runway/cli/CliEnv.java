package dev.runway.cli;

import java.util.Map;
import picocli.CommandLine.Model.CommandSpec;

/**
 * The environment a command line was built with. Subcommands read it from the root command rather
 * than from {@link System#getenv()}, so tests can give each run its own environment.
 */
public final class CliEnv {
  private CliEnv() {}

  /** Implemented by the root command. */
  public interface Holder {
    Map<String, String> env();
  }

  public static Map<String, String> of(CommandSpec spec) {
    Object root = spec.root().userObject();
    return root instanceof Holder h ? h.env() : System.getenv();
  }
}

package dev.runway.cli;

import java.util.ArrayList;
import java.util.Iterator;
import java.util.List;
import picocli.CommandLine;
import picocli.CommandLine.Model.OptionSpec;
import picocli.CommandLine.ParameterException;

/**
 * Options whose values are a closed set, for every {@code runway} command: an option declares its
 * set as {@code completionCandidates} (which also feeds shell completion), and {@link
 * #strict(CommandLine.IExecutionStrategy)} refuses any other value before the command runs, as a
 * usage error (exit 2) naming the allowed values. One rule in one place, so a new command's {@code
 * --format} cannot quietly accept {@code yaml}.
 */
public final class Choices {
  private Choices() {}

  /** A closed set of option values; subclasses list them. */
  public abstract static class Of implements Iterable<String> {
    private final List<String> values;

    protected Of(String... values) {
      this.values = List.of(values);
    }

    @Override
    public Iterator<String> iterator() {
      return values.iterator();
    }
  }

  /** {@code --format table|json}. */
  public static final class TableOrJson extends Of {
    public TableOrJson() {
      super("table", "json");
    }
  }

  /** {@code --format text|json}. */
  public static final class TextOrJson extends Of {
    public TextOrJson() {
      super("text", "json");
    }
  }

  /** Checks the matched options of the command about to run, then runs it. */
  public static CommandLine.IExecutionStrategy strict(CommandLine.IExecutionStrategy next) {
    return parsed -> {
      for (CommandLine.ParseResult p = parsed; p != null; p = p.subcommand()) {
        for (OptionSpec option : p.matchedOptions()) {
          check(p.commandSpec().commandLine(), option);
        }
      }
      return next.execute(parsed);
    };
  }

  private static void check(CommandLine cmd, OptionSpec option) {
    Iterable<String> allowed = option.completionCandidates();
    // Enum-typed options are checked by picocli itself; only plain strings need this.
    if (allowed == null || !(allowed instanceof Of) || option.type() != String.class) {
      return;
    }
    List<String> values = new ArrayList<>();
    allowed.forEach(values::add);
    for (String given : option.stringValues()) {
      if (!values.contains(given)) {
        throw new ParameterException(
            cmd,
            "Invalid value for option '"
                + option.longestName()
                + "': '"
                + given
                + "' is not one of "
                + String.join(", ", values));
      }
    }
  }
}

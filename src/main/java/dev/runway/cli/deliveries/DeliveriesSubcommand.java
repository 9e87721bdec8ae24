package dev.runway.cli.deliveries;

import com.fasterxml.jackson.core.JsonGenerator;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.runway.cli.ExitCodes;
import dev.runway.cli.credentials.AppCredentials;
import dev.runway.cli.credentials.CredentialsMixin;
import dev.runway.platform.github.GitHubClient;
import dev.runway.platform.github.RequestObserver;
import dev.runway.redelivery.DeliveryScanner;
import java.io.PrintWriter;
import java.time.Instant;
import java.util.concurrent.Callable;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Option;
import picocli.CommandLine.ParentCommand;
import picocli.CommandLine.Spec;

/**
 * What every {@code deliveries} subcommand shares: credentials, {@code --verbose}, the client, the
 * output streams. Failures are thrown to the command line's one mapping ({@link
 * dev.runway.cli.ExitCodes}).
 */
abstract class DeliveriesSubcommand implements Callable<Integer> {

  @ParentCommand DeliveriesCommand parent;

  @Spec CommandSpec spec;

  @Mixin CredentialsMixin credentials;

  @Option(
      names = "--verbose",
      description = "Log each GitHub request (method, path, status, time) to stderr.")
  boolean verbose;

  /** JSON for stdout: GitHub's field names, ISO instants, and it never closes stdout. */
  final ObjectMapper json =
      GitHubClient.objectMapper().disable(JsonGenerator.Feature.AUTO_CLOSE_TARGET);

  @Override
  public final Integer call() {
    try {
      return run();
    } finally {
      out().flush();
    }
  }

  /** The command's work; returns the exit code. */
  abstract int run();

  GitHubClient client() {
    AppCredentials credentials = this.credentials.resolve(parent.env());
    return parent.clientFactory().create(credentials, parent.clock(), observer());
  }

  Instant now() {
    return parent.clock().instant();
  }

  PrintWriter out() {
    return spec.commandLine().getOut();
  }

  PrintWriter err() {
    return spec.commandLine().getErr();
  }

  /** Progress on stderr, only when stderr is a terminal; ends with {@link #endProgress}. */
  DeliveryScanner.Progress progress() {
    if (!parent.stderrIsTerminal()) {
      return DeliveryScanner.Progress.none();
    }
    return (pages, scanned, matched) -> {
      err()
          .print(
              "\rscanned "
                  + scanned
                  + " deliveries on "
                  + pages
                  + " pages, "
                  + matched
                  + " matched");
      err().flush();
    };
  }

  void endProgress() {
    if (parent.stderrIsTerminal()) {
      err().println();
      err().flush();
    }
  }

  private RequestObserver observer() {
    if (!verbose) {
      return RequestObserver.none();
    }
    PrintWriter err = err();
    return (method, path, status, elapsed, attempt) -> {
      err.println(
          method
              + " "
              + path
              + " -> "
              + (status == 0 ? "no response" : String.valueOf(status))
              + " ("
              + elapsed.toMillis()
              + " ms"
              + (attempt > 1 ? ", attempt " + attempt : "")
              + ")");
      err.flush();
    };
  }

  static int ok() {
    return ExitCodes.OK;
  }
}

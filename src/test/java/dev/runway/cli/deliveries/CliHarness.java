package dev.runway.cli.deliveries;

import dev.runway.Main;
import dev.runway.cli.credentials.AppCredentials;
import dev.runway.platform.github.AppJwtSigner;
import dev.runway.platform.github.GitHubClient;
import dev.runway.platform.github.GitHubStub;
import dev.runway.platform.github.MutableClock;
import dev.runway.platform.github.RecordingSleeper;
import dev.runway.platform.github.TestKeys;
import java.io.PrintWriter;
import java.io.StringWriter;
import java.nio.file.Path;
import java.time.Instant;
import java.util.HashMap;
import java.util.Map;
import picocli.CommandLine;

/**
 * Runs {@code runway deliveries ...} in-process against a {@link GitHubStub}: a fixed clock shared
 * by the CLI and the stub, a key written to a temporary PKCS#1 file, and a client whose retries
 * record their waits instead of spending them.
 */
final class CliHarness implements AutoCloseable {

  static final String APP_ID = "4711";
  static final Instant NOW = Instant.parse("2026-05-19T16:00:00Z");

  final TestKeys keys;
  final MutableClock clock = new MutableClock(NOW);
  final RecordingSleeper sleeper = new RecordingSleeper(clock);
  final GitHubStub github;
  final Path keyFile;
  final Map<String, String> env = new HashMap<>();
  boolean stderrIsTerminal;

  record Result(int exitCode, String out, String err) {}

  CliHarness(TestKeys keys, Path tempDir) {
    this.keys = keys;
    this.github = GitHubStub.start(APP_ID, keys, clock, "");
    this.keyFile = keys.writePkcs1(tempDir, "app.pem");
    env.put("HOME", tempDir.toString());
    env.put("RUNWAY_GITHUB_APP_ID", APP_ID);
    env.put("RUNWAY_GITHUB_PRIVATE_KEY_FILE", keyFile.toString());
    env.put("RUNWAY_GITHUB_API_URL", github.apiUrl().toString());
  }

  /** Runs {@code runway deliveries ARGS} through the one command-line factory, {@link Main}. */
  Result run(String... args) {
    StringWriter out = new StringWriter();
    StringWriter err = new StringWriter();
    CommandLine runway = Main.commandLine(env, new PrintWriter(out), new PrintWriter(err));
    DeliveriesCommand command = runway.getSubcommands().get("deliveries").getCommand();
    command
        .withClock(clock)
        .withStderrTerminal(() -> stderrIsTerminal)
        .withClientFactory(this::client);
    String[] full = new String[args.length + 1];
    full[0] = "deliveries";
    System.arraycopy(args, 0, full, 1, args.length);
    int exit = runway.execute(full);
    return new Result(exit, out.toString(), err.toString());
  }

  private GitHubClient client(
      AppCredentials credentials,
      java.time.Clock clock,
      dev.runway.platform.github.RequestObserver observer) {
    return GitHubClient.builder(
            new AppJwtSigner(credentials.appId(), credentials.privateKey(), clock))
        .apiUrl(credentials.apiUrl())
        .clock(clock)
        .sleeper(sleeper)
        .observer(observer)
        .build();
  }

  @Override
  public void close() {
    github.close();
  }
}

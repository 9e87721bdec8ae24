package dev.runway.cli.githubapp;

import dev.runway.cli.UsageException;
import dev.runway.platform.config.Durations;
import dev.runway.platform.config.RunwayConfig;
import java.io.IOException;
import java.io.PrintWriter;
import java.io.UncheckedIOException;
import java.net.URI;
import java.net.http.HttpClient;
import java.nio.file.Path;
import java.security.SecureRandom;
import java.time.Duration;
import java.util.HexFormat;
import java.util.List;
import java.util.concurrent.Callable;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;
import picocli.CommandLine.Command;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Option;
import picocli.CommandLine.Spec;

/**
 * {@code runway github-app create}: creates Runway's GitHub App from a manifest in one step, and
 * saves its key and webhook secret. Prints the settings to use and the install link; never a
 * secret. Failures are thrown, so the CLI's one mapping gives exit 1 (not created: timeout, refused
 * exchange) or 2 (usage), with one {@code error:} line.
 */
@Command(
    name = "create",
    mixinStandardHelpOptions = true,
    description = {
      "Create Runway's GitHub App from a manifest.",
      "Open the printed local page in a browser and confirm on GitHub; the App's private key",
      "and webhook secret are then written to --out.",
      "With --print-manifest, only print the manifest JSON (to create the App by hand)."
    })
final class CreateAppCommand implements Callable<Integer> {

  @Spec CommandSpec spec;

  @Option(
      names = "--url",
      required = true,
      paramLabel = "PUBLIC_URL",
      description = "Where GitHub reaches Runway; the webhook is PUBLIC_URL/webhooks/github.")
  URI publicUrl;

  @Option(
      names = "--org",
      paramLabel = "ORG",
      description = "Create the App in this organization (default: your own account).")
  String org;

  @Option(
      names = "--github-url",
      defaultValue = "https://github.com",
      paramLabel = "URL",
      description =
          "GitHub, or GitHub Enterprise Server's https://HOST (default ${DEFAULT-VALUE}).")
  URI githubUrl;

  @Option(
      names = "--api-url",
      paramLabel = "URL",
      description =
          "GitHub's API (default: https://api.github.com for github.com, else GITHUB_URL/api/v3).")
  URI apiUrl;

  @Option(
      names = "--name",
      paramLabel = "NAME",
      description = "The App's name, unique on GitHub; you can change it on GitHub's page.")
  String name;

  @Option(
      names = "--user-repositories",
      arity = "1",
      paramLabel = "true|false",
      description =
          "Ask for administration: write, which only jobs of user-owned repositories need"
              + " (default: true without --org, false with it).")
  Boolean userRepositories;

  @Option(
      names = "--out",
      defaultValue = "github-app",
      paramLabel = "DIR",
      description =
          "Where private-key.pem and webhook-secret go, mode 0600 (default ${DEFAULT-VALUE}).")
  Path out;

  @Option(
      names = "--port",
      defaultValue = "0",
      description = "Local port of the page on 127.0.0.1 (default: a free one).")
  int port;

  @Option(
      names = "--timeout",
      defaultValue = "10m",
      description =
          "How long to wait for GitHub to send the browser back (default ${DEFAULT-VALUE}).")
  String timeout;

  /** Chosen once, so the page and its manifest agree on the App's name. */
  private String generatedName;

  @Option(names = "--print-manifest", description = "Only print the manifest JSON, then exit.")
  boolean printManifest;

  @Override
  public Integer call() throws Exception {
    PrintWriter stdout = spec.commandLine().getOut();
    Duration wait;
    GitHubUrls urls;
    try {
      wait = Durations.parse(timeout);
      urls = GitHubUrls.of(githubUrl, apiUrl);
      manifest(null);
    } catch (IllegalArgumentException e) {
      throw new UsageException(e.getMessage());
    }
    if (manifest(null).loopback()) {
      // Allowed (a try-out against a stand-in GitHub, or a URL fixed later in the App's
      // settings), but GitHub itself cannot deliver there, and nothing else would say so.
      notice(
          "GitHub cannot reach "
              + publicUrl
              + ": it is this machine's own address, so no webhook will arrive. Give --url an"
              + " address GitHub can reach (a public host name or a tunnel), or change the App's"
              + " webhook URL in its settings on GitHub later.");
    }
    if (printManifest) {
      stdout.println(manifest(null).json(true));
      stdout.flush();
      return 0;
    }
    SecretFiles files = new SecretFiles(out);
    List<Path> existing = files.existing();
    if (!existing.isEmpty()) {
      throw new UsageException(
          existing.get(0)
              + " already exists; choose another --out, or move it away (it may be the only copy"
              + " of another App's secret)");
    }
    ManifestConversion conversion =
        new ManifestConversion(
            urls.api(), HttpClient.newBuilder().connectTimeout(Duration.ofSeconds(10)).build());
    try (ManifestPage page =
        new ManifestPage(
            port,
            urls,
            org,
            this::manifest,
            code -> save(conversion.exchange(code), files),
            this::notice)) {
      stdout.println(
          "Open "
              + page.address()
              + " in a browser on this machine to create the App on "
              + urls.web()
              + " (waiting up to "
              + timeout
              + ").");
      stdout.flush();
      CreatedApp app;
      try {
        app = page.result().get(wait.toMillis(), TimeUnit.MILLISECONDS);
      } catch (TimeoutException e) {
        throw new IllegalStateException(
            "GitHub did not send the browser back within "
                + timeout
                + "; nothing was saved. Run the command again (with a longer --timeout if"
                + " needed). If the App was created on GitHub meanwhile, delete it there or"
                + " generate a private key for it in its settings.");
      } catch (ExecutionException e) {
        throw new IllegalStateException("the App was not saved: " + e.getCause().getMessage());
      }
      printNextSteps(stdout, app, files, urls);
      return 0;
    }
  }

  private AppManifest manifest(URI redirectUrl) {
    boolean users = userRepositories != null ? userRepositories : org == null;
    return new AppManifest(name != null ? name : defaultName(), publicUrl, redirectUrl, users);
  }

  private String defaultName() {
    if (generatedName == null) {
      byte[] suffix = new byte[3];
      new SecureRandom().nextBytes(suffix);
      generatedName = "runway-" + HexFormat.of().formatHex(suffix);
    }
    return generatedName;
  }

  private static CreatedApp save(CreatedApp app, SecretFiles files) {
    try {
      files.write(app);
    } catch (IOException e) {
      throw new UncheckedIOException(
          "cannot write the App's secrets to " + files.dir() + ": " + e.getMessage(), e);
    }
    return app;
  }

  private void printNextSteps(PrintWriter o, CreatedApp app, SecretFiles files, GitHubUrls urls) {
    o.println();
    o.println("Created GitHub App " + app.name() + " (id " + app.id() + ").");
    o.println("Wrote " + files.privateKey() + " and " + files.webhookSecret() + " (mode 0600).");
    o.println();
    o.println("Settings for runway serve and runway doctor:");
    o.println("  export " + RunwayConfig.GITHUB_APP_ID + "=" + app.id());
    o.println("  export " + RunwayConfig.GITHUB_PRIVATE_KEY_FILE + "=" + files.privateKey());
    o.println(
        "  export " + RunwayConfig.WEBHOOK_SECRETS + "=\"$(cat " + files.webhookSecret() + ")\"");
    if (!urls.defaultApi()) {
      o.println("  export " + RunwayConfig.GITHUB_API_URL + "=" + urls.api());
    }
    o.println();
    o.println("Install the App on the accounts whose jobs Runway runs:");
    o.println("  " + InstallLink.of(app, urls));
    o.println("Then enable each account (runway accounts set LOGIN --enabled ...) and check the");
    o.println("whole setup with: runway doctor");
    o.flush();
  }

  /** Something the person at the terminal should know while the command keeps waiting. */
  private void notice(String line) {
    spec.commandLine().getErr().println("note: " + line);
    spec.commandLine().getErr().flush();
  }
}

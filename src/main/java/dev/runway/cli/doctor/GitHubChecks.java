// Over 400 lines because it holds one check per GitHub concern doctor reports (key, permissions,
// installations, webhook, deliveries), each short.
package dev.runway.cli.doctor;

import dev.runway.accounts.Account;
import dev.runway.cli.UsageException;
import dev.runway.cli.credentials.AppCredentials;
import dev.runway.cli.credentials.CredentialsResolver;
import dev.runway.cli.githubapp.AppPermissions;
import dev.runway.platform.config.RunwayConfig;
import dev.runway.platform.github.AppInstallation;
import dev.runway.platform.github.AppJwtSigner;
import dev.runway.platform.github.DeliverySummary;
import dev.runway.platform.github.GitHubApp;
import dev.runway.platform.github.GitHubClient;
import dev.runway.platform.github.GitHubException;
import dev.runway.platform.github.RetryPolicy;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import java.util.stream.Collectors;

/**
 * The checks that ask GitHub, as the App: the key ({@code GET /app}), the App's permissions, its
 * installations against Runway's accounts, the webhook's subscription, and the recent deliveries.
 * Each later check needs the App's answer, so a key GitHub refuses skips them.
 */
final class GitHubChecks {

  static final String KEY = "app-key";
  static final String PERMISSIONS = "app-permissions";
  static final String INSTALLATIONS = "installations";
  static final String WEBHOOK = "webhook";
  static final String DELIVERIES = "deliveries";

  /** Two quick attempts and no waiting out rate limits: a check answers now or says why not. */
  static final RetryPolicy POLICY =
      new RetryPolicy(
          2,
          Duration.ofMillis(200),
          Duration.ofMillis(500),
          0.5,
          Duration.ZERO,
          Duration.ofSeconds(15),
          Duration.ofSeconds(20));

  private final RunwayConfig config;
  private final Clock clock;
  private final Duration deliveriesSince;
  private final String window;
  private final boolean reruns;

  /**
   * @param window {@code deliveriesSince} as the person wrote it ({@code 24h}), for the commands
   *     printed back to them
   */
  GitHubChecks(RunwayConfig config, Clock clock, Duration deliveriesSince, String window) {
    this(config, clock, deliveriesSince, window, false);
  }

  /**
   * @param reruns whether a pool has {@code rerunOnRunnerLoss}: then {@code actions: write} is
   *     required, not only read
   */
  GitHubChecks(
      RunwayConfig config, Clock clock, Duration deliveriesSince, String window, boolean reruns) {
    this.reruns = reruns;
    this.config = config;
    this.clock = clock;
    this.deliveriesSince = deliveriesSince;
    this.window = window;
  }

  /**
   * @param accounts Runway's accounts, or empty when the database did not answer
   */
  List<Check> run(Optional<List<Account>> accounts) {
    if (!config.hasAppCredentials()) {
      return skipRest(
          Check.failed(
              KEY,
              RunwayConfig.GITHUB_APP_ID
                  + " and "
                  + RunwayConfig.GITHUB_PRIVATE_KEY_FILE
                  + " are not set: claims answer 503 and failed deliveries are not redelivered",
              "create the App with runway github-app create --url PUBLIC_URL, and set the"
                  + " variables it prints"),
          "needs the App's credentials");
    }
    AppCredentials credentials;
    try {
      credentials =
          new CredentialsResolver(
                  Map.of(
                      RunwayConfig.GITHUB_APP_ID, config.githubAppId().get(),
                      RunwayConfig.GITHUB_PRIVATE_KEY_FILE,
                          config.githubPrivateKeyFile().get().toString(),
                      RunwayConfig.GITHUB_API_URL, config.githubApiUrl().toString()),
                  CredentialsResolver.DEFAULT_COMMAND_TIMEOUT)
              .resolve(CredentialsResolver.Flags.NONE);
    } catch (UsageException e) { // CredentialsException: no readable key, said in one line
      return skipRest(
          Check.failed(
              KEY,
              e.getMessage(),
              "point "
                  + RunwayConfig.GITHUB_PRIVATE_KEY_FILE
                  + " at the PEM key downloaded from the App's settings (Private keys)"),
          "needs a readable App key");
    }
    GitHubClient github =
        GitHubClient.builder(new AppJwtSigner(credentials.appId(), credentials.privateKey(), clock))
            .apiUrl(credentials.apiUrl())
            .clock(clock)
            .retryPolicy(POLICY)
            .build();
    GitHubApp app;
    try {
      app = github.app();
    } catch (GitHubException e) {
      return skipRest(keyRefused(e), "needs GitHub to accept the App key");
    }
    List<Check> checks = new ArrayList<>();
    checks.add(
        Check.ok(
            KEY,
            "GitHub accepts the key of App "
                + app.slug()
                + " (id "
                + app.id()
                + ") at "
                + config.githubApiUrl()));
    List<AppInstallation> installations;
    try {
      installations = github.installations();
    } catch (GitHubException e) {
      checks.add(permissions(app, List.of()));
      checks.add(
          Check.failed(
              INSTALLATIONS,
              "GitHub did not list the installations: " + e.getMessage(),
              "run runway doctor again; if it persists, check GitHub's status"));
      checks.add(webhook(github, app, List.of()));
      checks.add(deliveries(github));
      return checks;
    }
    checks.add(permissions(app, installations));
    checks.add(installations(app, installations, accounts));
    checks.add(webhook(github, app, installations));
    checks.add(deliveries(github));
    return checks;
  }

  private static List<Check> skipRest(Check first, String why) {
    return List.of(
        first,
        Check.skipped(PERMISSIONS, why),
        Check.skipped(INSTALLATIONS, why),
        Check.skipped(WEBHOOK, why),
        Check.skipped(DELIVERIES, why));
  }

  private Check keyRefused(GitHubException e) {
    String app = config.githubAppId().orElse("?");
    String key = config.githubPrivateKeyFile().map(Object::toString).orElse("?");
    return switch (e.statusCode()) {
      case 401 ->
          Check.failed(
              KEY,
              "GitHub refuses the JWT signed with "
                  + key
                  + " for App "
                  + app
                  + " (401): the key is not a key of that App",
              "generate a private key in the App's settings and point "
                  + RunwayConfig.GITHUB_PRIVATE_KEY_FILE
                  + " at it, or correct "
                  + RunwayConfig.GITHUB_APP_ID);
      case 404 ->
          Check.failed(
              KEY,
              "GitHub knows no App " + app + " (404)",
              "correct " + RunwayConfig.GITHUB_APP_ID + " (the App id on the App's settings page)");
      case 0 ->
          Check.failed(
              KEY,
              "cannot reach GitHub's API at " + config.githubApiUrl() + ": " + e.getMessage(),
              "check " + RunwayConfig.GITHUB_API_URL + " and the network");
      default ->
          Check.failed(KEY, "GET /app failed: " + e.getMessage(), "run runway doctor again later");
    };
  }

  private Map<String, String> required(List<AppInstallation> installations) {
    return AppPermissions.required(
        installations.stream().anyMatch(AppInstallation::ownedByUser), reruns);
  }

  private Check permissions(GitHubApp app, List<AppInstallation> installations) {
    Map<String, String> required = required(installations);
    List<String> missing = AppPermissions.missing(required, app.permissions());
    if (!missing.isEmpty()) {
      return Check.failed(
          PERMISSIONS,
          "the App lacks "
              + String.join(", ", missing)
              + (missing.stream().anyMatch(m -> m.startsWith(AppPermissions.ADMINISTRATION))
                  ? " (an installation on a user account needs it for repository runners)"
                  : "")
              + "; claims or the stale-job check will fail",
          "grant them in the App's settings ("
              + app.htmlUrl()
              + ") under Permissions & events; each installation's owner then accepts them");
    }
    return Check.ok(
        PERMISSIONS,
        "the App has "
            + required.entrySet().stream()
                .map(e -> e.getKey() + ": " + e.getValue())
                .collect(Collectors.joining(", ")));
  }

  private Check installations(
      GitHubApp app, List<AppInstallation> installations, Optional<List<Account>> accounts) {
    String installLink = app.htmlUrl() + "/installations/new";
    if (installations.isEmpty()) {
      return Check.failed(
          INSTALLATIONS,
          "the App is not installed on any account",
          "install it on the accounts whose jobs Runway runs: " + installLink);
    }
    List<String> failures = new ArrayList<>();
    List<String> warnings = new ArrayList<>();
    List<String> fixes = new ArrayList<>();
    List<String> fine = new ArrayList<>();
    Map<Long, Account> byInstallation = new HashMap<>();
    accounts.orElse(List.of()).stream()
        .filter(a -> a.installationId() != null)
        .forEach(a -> byInstallation.put(a.installationId(), a));
    for (AppInstallation i : installations) {
      String who = i.login() + " (installation " + i.id() + ")";
      List<String> lagging =
          AppPermissions.missing(AppPermissions.required(i.ownedByUser(), reruns), i.permissions());
      if (!lagging.isEmpty()) {
        failures.add(who + " has not accepted " + String.join(", ", lagging));
        fixes.add(
            "the owner of "
                + i.login()
                + " accepts the App's new permissions in its installation settings");
      }
      if (i.suspendedAt() != null) {
        warnings.add(who + " is suspended");
        fixes.add("unsuspend the installation on " + i.login());
      }
      if (accounts.isEmpty()) {
        continue;
      }
      Account account = byInstallation.get(i.id());
      if (account == null) {
        warnings.add(who + " has no Runway account, so its jobs are ignored as no_account");
        fixes.add(
            "runway accounts set "
                + i.login()
                + " --installation-id "
                + i.id()
                + " --max-concurrent 10 --enabled");
      } else if (!account.runnersAllowed()) {
        warnings.add(who + ": account " + account.login() + " has runners disabled");
        fixes.add("runway accounts set " + account.login() + " --enabled --max-concurrent 10");
      } else {
        fine.add(who + " enabled, max " + account.maxConcurrent());
      }
    }
    Set<Long> listed = installations.stream().map(AppInstallation::id).collect(Collectors.toSet());
    for (Account a : accounts.orElse(List.of())) {
      if (a.installationId() != null && !listed.contains(a.installationId())) {
        failures.add(
            "account "
                + a.login()
                + " is linked to installation "
                + a.installationId()
                + ", which GitHub does not list for this App, so its jobs cannot get runners");
        fixes.add(
            "install the App on "
                + a.login()
                + " ("
                + installLink
                + "), then runway accounts set "
                + a.login()
                + " --installation-id NEW_ID");
      }
    }
    if (accounts.isPresent() && fine.isEmpty() && failures.isEmpty()) {
      failures.add("no installation has an enabled account, so no job will get a runner");
    }
    if (accounts.isEmpty()) {
      warnings.add("accounts not checked: the database did not answer");
    }
    String summary = installations.size() + " installation(s)";
    if (!failures.isEmpty()) {
      List<String> all = new ArrayList<>(failures);
      all.addAll(warnings);
      return Check.failed(INSTALLATIONS, summary + ": " + String.join("; ", all), join(fixes));
    }
    if (!warnings.isEmpty()) {
      return Check.warning(
          INSTALLATIONS, summary + ": " + String.join("; ", warnings), join(fixes));
    }
    return Check.ok(INSTALLATIONS, summary + ": " + String.join("; ", fine));
  }

  private static Check webhook(
      GitHubClient github, GitHubApp app, List<AppInstallation> installations) {
    if (!app.events().contains(AppPermissions.EVENT)) {
      return Check.failed(
          WEBHOOK,
          "the App's webhook is not subscribed to workflow_job (events: "
              + (app.events().isEmpty() ? "none" : String.join(", ", app.events()))
              + "), so GitHub sends no jobs",
          "in the App's settings ("
              + app.htmlUrl()
              + "), Permissions & events, subscribe to Workflow job");
    }
    Optional<String> url;
    try {
      url = github.webhookUrl();
    } catch (GitHubException e) {
      return Check.warning(
          WEBHOOK,
          "subscribed to workflow_job; the webhook's URL cannot be read: " + e.getMessage(),
          "check the webhook URL in the App's settings by hand");
    }
    if (url.isEmpty()) {
      return Check.failed(
          WEBHOOK,
          "subscribed to workflow_job, but the App has no webhook URL",
          "set the webhook URL to PUBLIC_URL/webhooks/github in the App's settings");
    }
    List<String> notAccepted =
        installations.stream()
            .filter(i -> !i.events().contains(AppPermissions.EVENT))
            .map(i -> i.login() + " (installation " + i.id() + ")")
            .toList();
    if (!notAccepted.isEmpty()) {
      return Check.warning(
          WEBHOOK,
          "subscribed to workflow_job at "
              + url.get()
              + ", but not accepted by "
              + String.join(", ", notAccepted),
          "their owners accept the App's new events in the installation settings");
    }
    if (!url.get().endsWith("/webhooks/github")) {
      return Check.warning(
          WEBHOOK,
          "subscribed to workflow_job, delivering to " + url.get() + ", which is not Runway's path",
          "set the webhook URL to PUBLIC_URL/webhooks/github in the App's settings");
    }
    return Check.ok(WEBHOOK, "subscribed to workflow_job, delivering to " + url.get());
  }

  private Check deliveries(GitHubClient github) {
    Instant since = clock.instant().minus(deliveriesSince);
    List<DeliverySummary> recent;
    try {
      recent =
          github.listDeliveries(100, null, null).deliveries().stream()
              .filter(d -> d.deliveredAt() != null && !d.deliveredAt().isBefore(since))
              .toList();
    } catch (GitHubException e) {
      return Check.failed(
          DELIVERIES,
          "GitHub did not list the App's deliveries: " + e.getMessage(),
          "run runway doctor again; runway deliveries list --since " + window + " shows them");
    }
    Map<String, List<DeliverySummary>> byEvent = new LinkedHashMap<>();
    recent.forEach(d -> byEvent.computeIfAbsent(d.guid(), g -> new ArrayList<>()).add(d));
    List<DeliverySummary> undelivered =
        byEvent.values().stream()
            .filter(attempts -> attempts.stream().noneMatch(DeliverySummary::succeeded))
            .map(
                attempts ->
                    attempts.stream().max(Comparator.comparing(DeliverySummary::deliveredAt)).get())
            .sorted(Comparator.comparing(DeliverySummary::deliveredAt).reversed())
            .toList();
    if (byEvent.isEmpty()) {
      return Check.ok(DELIVERIES, "GitHub sent no delivery in the last " + window);
    }
    if (undelivered.isEmpty()) {
      return Check.ok(
          DELIVERIES, byEvent.size() + " event(s) in the last " + window + ", all delivered");
    }
    DeliverySummary last = undelivered.get(0);
    return Check.failed(
        DELIVERIES,
        undelivered.size()
            + " of "
            + byEvent.size()
            + " event(s) in the last "
            + window
            + " failed to deliver; the last at "
            + last.deliveredAt()
            + ": "
            + last.event()
            + (last.action() == null ? "" : "." + last.action())
            + ", "
            + last.status()
            + " (HTTP "
            + (last.statusCode() == 0 ? "none" : String.valueOf(last.statusCode()))
            + ")",
        "see runway deliveries list --status failure --since "
            + window
            + "; make the webhook URL reach Runway, then runway deliveries redeliver --failed --since "
            + window
            + " (serve redelivers them itself when it has the App's credentials)");
  }

  private static String join(List<String> fixes) {
    return fixes.isEmpty() ? null : String.join("; ", fixes);
  }
}

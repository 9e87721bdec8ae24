package dev.runway.cli.doctor;

import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.SerializationFeature;
import dev.runway.accounts.Account;
import dev.runway.accounts.AccountRepository;
import dev.runway.cli.Choices;
import dev.runway.cli.CliEnv;
import dev.runway.cli.ConfigOptions;
import dev.runway.cli.ExitCodes;
import dev.runway.cli.UsageException;
import dev.runway.platform.config.ConfigException;
import dev.runway.platform.config.Durations;
import dev.runway.platform.config.RunwayConfig;
import io.fabric8.kubernetes.client.KubernetesClient;
import io.fabric8.kubernetes.client.KubernetesClientBuilder;
import java.io.PrintWriter;
import java.sql.Connection;
import java.sql.SQLException;
import java.time.Clock;
import java.time.Duration;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Objects;
import java.util.Optional;
import java.util.concurrent.Callable;
import java.util.function.Supplier;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Option;
import picocli.CommandLine.Spec;

/**
 * {@code runway doctor}: checks, in order, that the configuration, the database, the spool, the
 * pool source and the GitHub App fit together, and prints one line per check. Exit 0 only when no
 * check failed; warnings say what will not work yet without stopping anything.
 */
@Command(
    name = "doctor",
    mixinStandardHelpOptions = true,
    description = {
      "Check the configuration, database, spool, pools and GitHub App, one line per check:",
      "ok, warning or failed, and what to do. Exit 0 only when nothing failed.",
      "Reads the same RUNWAY_* variables and flags as serve."
    })
public final class DoctorCommand implements Callable<Integer> {

  @Mixin ConfigOptions options;
  @Spec CommandSpec spec;

  @Option(
      names = "--format",
      defaultValue = "text",
      completionCandidates = Choices.TextOrJson.class,
      description = "text or json")
  String format;

  @Option(
      names = "--pools-wait",
      defaultValue = "10s",
      description = "How long to wait for the pool source to answer (default ${DEFAULT-VALUE}).")
  String poolsWait;

  @Option(
      names = "--deliveries-since",
      defaultValue = "24h",
      description = "How far back to look at GitHub's deliveries (default ${DEFAULT-VALUE}).")
  String deliveriesSince;

  private Clock clock = Clock.systemUTC();
  private Supplier<KubernetesClient> kubernetes = () -> new KubernetesClientBuilder().build();

  /** The clock JWTs and the deliveries window are computed from. */
  public DoctorCommand withClock(Clock clock) {
    this.clock = Objects.requireNonNull(clock, "clock");
    return this;
  }

  /** Builds the Kubernetes client for {@code RUNWAY_POOLS=kubernetes:NS}; the check closes it. */
  public DoctorCommand withKubernetes(Supplier<KubernetesClient> kubernetes) {
    this.kubernetes = Objects.requireNonNull(kubernetes, "kubernetes");
    return this;
  }

  @Override
  public Integer call() throws Exception {
    if (!format.equals("text") && !format.equals("json")) {
      throw new UsageException("--format must be text or json");
    }
    Duration wait = duration("--pools-wait", poolsWait);
    Duration since = duration("--deliveries-since", deliveriesSince);
    List<Check> checks = checks(wait, since);
    PrintWriter out = spec.commandLine().getOut();
    out.print(format.equals("json") ? json(checks) : text(checks));
    out.flush();
    // A failed check is the command's answer, not an error: the lines above already say it.
    return checks.stream().anyMatch(c -> c.status() == Check.Status.FAILED)
        ? ExitCodes.RUNTIME
        : ExitCodes.OK;
  }

  private static Duration duration(String option, String text) {
    try {
      return Durations.parse(text);
    } catch (IllegalArgumentException e) {
      throw new UsageException(option + ": " + e.getMessage());
    }
  }

  private List<Check> checks(Duration poolsWait, Duration since) throws InterruptedException {
    List<Check> checks = new ArrayList<>();
    RunwayConfig config;
    try {
      config = RunwayConfig.from(options.merge(CliEnv.of(spec)));
      checks.add(Check.ok("config", "the configuration parses (" + config.pools() + ")"));
    } catch (ConfigException e) {
      checks.add(
          Check.failed(
              "config",
              e.getMessage(),
              "see runway serve --help and README's configuration table"));
      for (String name :
          List.of(
              DatabaseCheck.NAME,
              SpoolCheck.NAME,
              PoolsCheck.NAME,
              GitHubChecks.KEY,
              GitHubChecks.PERMISSIONS,
              GitHubChecks.INSTALLATIONS,
              GitHubChecks.WEBHOOK,
              GitHubChecks.DELIVERIES)) {
        checks.add(Check.skipped(name, "needs a valid configuration"));
      }
      return checks;
    }
    DatabaseCheck database = new DatabaseCheck(config);
    checks.add(database.run());
    checks.add(new SpoolCheck(config).run());
    PoolsCheck pools = new PoolsCheck(config, kubernetes, poolsWait);
    checks.add(pools.run());
    checks.addAll(
        new GitHubChecks(config, clock, since, deliveriesSince.trim(), pools.reruns())
            .run(accounts(database)));
    return checks;
  }

  private static Optional<List<Account>> accounts(DatabaseCheck database) {
    Optional<DatabaseCheck.Target> target = database.reachable();
    if (target.isEmpty()) {
      return Optional.empty();
    }
    try (Connection c = target.get().connect()) {
      return Optional.of(new AccountRepository().list(c));
    } catch (SQLException e) {
      return Optional.empty();
    }
  }

  static String text(List<Check> checks) {
    StringBuilder b = new StringBuilder();
    int width = checks.stream().mapToInt(c -> c.name().length()).max().orElse(0);
    for (Check c : checks) {
      b.append(
          String.format(
              Locale.ROOT, "%-8s %-" + width + "s  %s", c.status().label(), c.name(), c.message()));
      if (c.fix() != null) {
        b.append(". Fix: ").append(c.fix());
      }
      b.append('\n');
    }
    Map<Check.Status, Long> counts = new LinkedHashMap<>();
    for (Check.Status s : Check.Status.values()) {
      counts.put(s, checks.stream().filter(c -> c.status() == s).count());
    }
    b.append(
        String.format(
            Locale.ROOT,
            "%d ok, %d warning(s), %d failed, %d skipped%n",
            counts.get(Check.Status.OK),
            counts.get(Check.Status.WARNING),
            counts.get(Check.Status.FAILED),
            counts.get(Check.Status.SKIPPED)));
    return b.toString();
  }

  static String json(List<Check> checks) {
    Map<String, Object> root = new LinkedHashMap<>();
    root.put("ok", checks.stream().noneMatch(c -> c.status() == Check.Status.FAILED));
    List<Map<String, Object>> items = new ArrayList<>();
    for (Check c : checks) {
      Map<String, Object> m = new LinkedHashMap<>();
      m.put("check", c.name());
      m.put("status", c.status().label());
      m.put("message", c.message());
      m.put("fix", c.fix());
      items.add(m);
    }
    root.put("checks", items);
    try {
      return new ObjectMapper().enable(SerializationFeature.INDENT_OUTPUT).writeValueAsString(root)
          + "\n";
    } catch (JsonProcessingException e) {
      throw new IllegalStateException("a map of strings always serializes", e);
    }
  }
}

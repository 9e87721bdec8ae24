package dev.runway;

import dev.runway.platform.config.ConfigException;
import dev.runway.platform.config.RunwayConfig;
import dev.runway.platform.db.Database;
import dev.runway.platform.db.Signals;
import dev.runway.platform.github.AppJwtSigner;
import dev.runway.platform.github.GitHubClient;
import dev.runway.platform.github.PemKeys;
import dev.runway.platform.github.Sleeper;
import dev.runway.platform.telemetry.Metrics;
import dev.runway.pools.PoolSource;
import dev.runway.pools.PoolSources;
import io.fabric8.kubernetes.client.KubernetesClient;
import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.CharBuffer;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.time.Clock;
import java.time.Duration;
import java.util.Arrays;
import java.util.Deque;
import java.util.Optional;
import java.util.function.Supplier;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The platform parts the service stands on, each started and pushed on the stop stack here: the
 * database (configured or embedded), the pool source, and the GitHub App's client. A bad key or a
 * provider pool without its public URL stops the start with a message naming the variable.
 */
final class PlatformParts {
  private static final Logger log = LoggerFactory.getLogger(PlatformParts.class);

  private final RunwayConfig config;
  private final Deque<AutoCloseable> stack;

  PlatformParts(RunwayConfig config, Deque<AutoCloseable> stack) {
    this.config = config;
    this.stack = stack;
  }

  /**
   * Opens the configured database, or starts the embedded one. An external database may be down
   * (the spool covers it, see {@link #startOnDatabase}); an embedded one that does not start stops
   * the start.
   */
  /**
   * The signals every replica sends and hears (LISTEN/NOTIFY on one connection of the main pool),
   * started and on the stop stack; the other parts subscribe to its topics.
   */
  Signals signals(Database db) {
    Signals signals = new Signals(db.main());
    signals.start();
    stack.push(signals);
    return signals;
  }

  Database database() throws IOException {
    // db-scheduler's threads, plus two batch dispatchers, the signal listener, the provisioner's
    // and the provider launcher's leader locks and the rest (+7).
    Database db =
        config.databaseUrl().isPresent()
            ? Database.open(
                new Database.Target(
                    config.databaseUrl().get(),
                    config.databaseUser().orElse(null),
                    config.databasePassword().orElse(null)),
                config.dispatchThreads() + 11)
            : Database.openEmbeddedForService(config.dataDir(), config.dispatchThreads() + 11);
    stack.push(db);
    return db;
  }

  /**
   * Stops the start when a pool of the pools file has a {@code provider} and {@code
   * RUNWAY_PUBLIC_URL} is unset: its instances would have no address to fetch their runner from.
   */
  void requirePublicUrl(PoolSource pools) throws InterruptedException {
    if (config.providers().publicUrl().isPresent() || !config.pools().startsWith("file:")) {
      return;
    }
    Optional<String> providerPool =
        pools
            .awaitAvailable(Duration.ofSeconds(5))
            .fold(
                s ->
                    s.pools().stream()
                        .filter(p -> p.provider() != null)
                        .map(p -> p.name())
                        .findFirst(),
                reason -> Optional.empty());
    if (providerPool.isPresent()) {
      throw new ConfigException(
          RunwayConfig.PUBLIC_URL,
          "is required: pool "
              + providerPool.get()
              + " has a provider, and its instances fetch their runner's config from this address"
              + " (e.g. https://runway.example.com)");
    }
  }

  /** Starts the configured pool source; it answers from memory from now on. */
  PoolSource pools(Metrics metrics, Supplier<KubernetesClient> kubernetes) {
    PoolSource pools =
        kubernetes == null
            ? PoolSources.fromConfig(
                config.pools(), metrics.registry(), config.provisioner().podPolicy())
            : PoolSources.fromConfig(
                config.pools(), metrics.registry(), kubernetes, config.provisioner().podPolicy());
    stack.push(pools);
    pools.start();
    log.info("pools from {}", pools.describe());
    return pools;
  }

  /**
   * The GitHub App's client, when its credentials are configured. The key file is read once, here;
   * a missing or unreadable key stops the start with a message naming the variable, never quoting
   * the key.
   */
  Optional<GitHubClient> github(Clock clock, Sleeper sleeper, Metrics metrics) {
    if (!config.hasAppCredentials()) {
      return Optional.empty();
    }
    var file = config.githubPrivateKeyFile().get();
    byte[] bytes;
    try {
      bytes = Files.readAllBytes(file);
    } catch (IOException e) {
      throw new ConfigException(
          RunwayConfig.GITHUB_PRIVATE_KEY_FILE,
          "cannot read " + file + " (" + e.getClass().getSimpleName() + ")");
    }
    CharBuffer chars = StandardCharsets.UTF_8.decode(ByteBuffer.wrap(bytes));
    char[] pem = new char[chars.remaining()];
    chars.get(pem);
    try {
      var key = PemKeys.parsePrivateKey(pem);
      return Optional.of(
          GitHubClient.builder(new AppJwtSigner(config.githubAppId().get(), key, clock))
              .apiUrl(config.githubApiUrl())
              .clock(clock)
              .sleeper(sleeper)
              .meterRegistry(metrics.registry())
              .maxConcurrency(config.bulkheads().githubMaxConcurrency())
              .build());
    } catch (PemKeys.InvalidPrivateKeyException e) {
      throw new ConfigException(
          RunwayConfig.GITHUB_PRIVATE_KEY_FILE, file + " holds " + e.getMessage());
    } finally {
      Arrays.fill(bytes, (byte) 0);
      Arrays.fill(pem, '\0');
      if (chars.hasArray()) {
        Arrays.fill(chars.array(), '\0');
      }
    }
  }
}

package dev.runway.providers;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.runway.pools.Pool;
import dev.runway.pools.ProviderSpec;
import java.io.IOException;
import java.net.URI;
import java.sql.Connection;
import java.sql.SQLException;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;
import javax.sql.DataSource;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Makes one instance: its row (a fresh token's hash, the runner's JIT config), its {@code
 * BootstrapInstance} (GitHub's runner downloads for its place, the metadata and callback URLs under
 * {@code RUNWAY_PUBLIC_URL}), and the {@code CreateInstance} call. What the call came to is the
 * launcher's to record. Thread-safe: {@link #call} runs on the launcher's call threads.
 */
final class InstanceCreator {
  private static final Logger log = LoggerFactory.getLogger(InstanceCreator.class);

  private final DataSource ds;
  private final InstanceRepository repo;
  private final Executables executables;
  private final RunnerTools tools;
  private final String webUrl;
  private final URI publicUrl;
  private final ObjectMapper json;
  private final InstanceTokens tokens = new InstanceTokens();

  InstanceCreator(
      DataSource ds,
      InstanceRepository repo,
      Executables executables,
      RunnerTools tools,
      String webUrl,
      URI publicUrl,
      ObjectMapper json) {
    this.ds = ds;
    this.repo = repo;
    this.executables = executables;
    this.tools = tools;
    this.webUrl = webUrl;
    this.publicUrl = publicUrl;
    this.json = json;
  }

  /** A claim whose instance is to be created this cycle. */
  record Launch(Pool pool, long claimId, String name, String encodedJitConfig, String forWhat) {
    @Override
    public String toString() {
      return "Launch[pool=" + pool.name() + ", claim=" + claimId + ", name=" + name + "]";
    }
  }

  /** What a launch's CreateInstance came to, recorded on the cycle's thread. */
  record Created(Launch launch, ProviderCall call, String problem, ProviderInstance instance) {}

  record Prepared(byte[] stdin, String token) {
    @Override
    public String toString() {
      return "Prepared[<redacted>]";
    }
  }

  /**
   * The row (with the token's hash and the JIT config) before the call, so that whatever happens to
   * this leader, the next one knows the instance may exist. Empty when the launch failed here
   * (logged): the caller releases the claim.
   */
  Optional<Prepared> prepare(Launch l, Instant now) {
    ProviderSpec spec = l.pool().provider();
    JsonNode toolList;
    RunnerTools.Place place;
    try {
      Optional<RunnerTools.Place> found = tools.placeOf(l.claimId(), webUrl);
      if (found.isEmpty()) {
        throw new IllegalStateException("the claim's account has no installation");
      }
      place = found.get();
      toolList = tools.tools(place);
    } catch (SQLException | RuntimeException e) {
      log.warn(
          "pool {}: no runner downloads for {} ({}); releasing claim {}",
          l.pool().name(),
          l.name(),
          e.getMessage(),
          l.claimId());
      return Optional.empty();
    }
    InstanceTokens.Minted token = tokens.mint(l.name());
    try (Connection c = ds.getConnection()) {
      repo.insert(
          c,
          l.claimId(),
          l.pool().name(),
          l.name(),
          token.hash(),
          l.encodedJitConfig(),
          now,
          now.plus(spec.bootstrapTimeout()));
    } catch (SQLException e) {
      log.warn(
          "pool {}: row of {} not written ({}); releasing claim {}",
          l.pool().name(),
          l.name(),
          e.getMessage(),
          l.claimId());
      return Optional.empty();
    }
    String base = publicUrl.toString().replaceAll("/+$", "");
    BootstrapInstance b =
        new BootstrapInstance(
            l.name(),
            toolList,
            place.repoUrl(),
            base + InstanceApi.CALLBACKS,
            base + InstanceApi.METADATA,
            token.token(),
            labels(l.pool()),
            executables.poolId(l.pool().name()),
            spec,
            l.pool().runnerGroupId());
    return Optional.of(new Prepared(b.toJson(json), token.token()));
  }

  /** Runs on a call thread: CreateInstance, and what its output says. */
  Created call(Launch l, Prepared p) {
    ProviderCall result =
        executables
            .of(l.pool().name(), l.pool().provider())
            .create(p.stdin(), List.of(p.token(), l.encodedJitConfig()));
    if (!(result instanceof ProviderCall.Ok ok)) {
      return new Created(l, result, ProviderCall.describe(result), null);
    }
    try {
      ProviderInstance instance = ProviderInstance.parse(json, ok.stdout());
      return new Created(l, result, null, instance);
    } catch (IOException e) {
      return new Created(l, result, "CreateInstance printed no instance JSON", null);
    }
  }

  private static List<String> labels(Pool pool) {
    List<String> labels = new ArrayList<>(pool.labels());
    if (labels.stream().noneMatch(l -> l.equalsIgnoreCase("self-hosted"))) {
      labels.add(0, "self-hosted");
    }
    return labels;
  }
}

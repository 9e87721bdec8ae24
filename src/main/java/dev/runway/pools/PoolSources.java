package dev.runway.pools;

import dev.runway.platform.config.PodPolicy;
import io.fabric8.kubernetes.client.KubernetesClient;
import io.fabric8.kubernetes.client.KubernetesClientBuilder;
import io.micrometer.core.instrument.MeterRegistry;
import java.nio.file.Path;
import java.time.Clock;
import java.util.function.Supplier;
import java.util.regex.Pattern;

/** Builds the pool source that {@code RUNWAY_POOLS} names. */
public final class PoolSources {

  static final String VARIABLE = "RUNWAY_POOLS";

  private static final String FILE = "file:";
  private static final String KUBERNETES = "kubernetes:";
  // A Kubernetes namespace is a DNS-1123 label.
  private static final Pattern NAMESPACE = Pattern.compile("[a-z0-9]([-a-z0-9]{0,61}[a-z0-9])?");

  private PoolSources() {}

  /**
   * The names the source {@code spec} lists now, for a CLI command that checks a pool name, or
   * empty when the source does not answer within {@code wait} (unknown is not "none").
   */
  public static java.util.Optional<java.util.List<String>> listedNames(
      String spec, java.time.Duration wait) throws Exception {
    try (PoolSource s =
        fromConfig(spec, new io.micrometer.core.instrument.simple.SimpleMeterRegistry())) {
      s.start();
      return s.awaitAvailable(wait)
          .fold(
              available ->
                  java.util.Optional.of(available.pools().stream().map(Pool::name).toList()),
              reason -> java.util.Optional.empty());
    }
  }

  /**
   * A source for {@code spec}; for Kubernetes, with a client from the default configuration
   * (in-cluster service account or kubeconfig), closed with the source.
   */
  public static PoolSource fromConfig(String spec, MeterRegistry registry) {
    return fromConfig(spec, registry, PodPolicy.RESTRICTED);
  }

  /**
   * As above, judging {@code RunnerPool} templates by {@code policy} ({@code RUNWAY_POD_POLICY}).
   */
  public static PoolSource fromConfig(String spec, MeterRegistry registry, PodPolicy policy) {
    return fromConfig(spec, registry, () -> new KubernetesClientBuilder().build(), true, policy);
  }

  /**
   * A source for {@code spec}, where a Kubernetes source uses {@code client} (which the caller
   * keeps and closes). The source is not started.
   *
   * @param spec {@code file:PATH} or {@code kubernetes:NAMESPACE}
   * @throws IllegalArgumentException naming {@code RUNWAY_POOLS} when {@code spec} is malformed
   */
  public static PoolSource fromConfig(
      String spec, MeterRegistry registry, Supplier<KubernetesClient> client) {
    return fromConfig(spec, registry, client, false, PodPolicy.RESTRICTED);
  }

  /**
   * As above, judging {@code RunnerPool} templates by {@code policy} ({@code RUNWAY_POD_POLICY}).
   */
  public static PoolSource fromConfig(
      String spec, MeterRegistry registry, Supplier<KubernetesClient> client, PodPolicy policy) {
    return fromConfig(spec, registry, client, false, policy);
  }

  private static PoolSource fromConfig(
      String spec,
      MeterRegistry registry,
      Supplier<KubernetesClient> client,
      boolean ownsClient,
      PodPolicy policy) {
    String value = spec == null ? "" : spec.trim();
    if (value.startsWith(FILE)) {
      String path = value.substring(FILE.length());
      if (path.isBlank()) {
        throw invalid(spec, "the file path is missing");
      }
      return new FilePoolSource(Path.of(path), registry);
    }
    if (value.startsWith(KUBERNETES)) {
      String namespace = value.substring(KUBERNETES.length());
      if (!NAMESPACE.matcher(namespace).matches()) {
        throw invalid(spec, "\"" + namespace + "\" is not a valid Kubernetes namespace");
      }
      KubernetesClient kubernetes = client.get();
      AutoCloseable close = ownsClient ? kubernetes::close : () -> {};
      return new KubernetesPoolSource(
          kubernetes,
          namespace,
          registry,
          KubernetesPoolSource.DEFAULT_HEALTH_CHECK_INTERVAL,
          Clock.systemUTC(),
          close,
          new PodTemplatePolicy(policy));
    }
    throw invalid(spec, value.isEmpty() ? "it is not set" : "unknown kind of source");
  }

  private static IllegalArgumentException invalid(String spec, String why) {
    return new IllegalArgumentException(
        VARIABLE
            + "="
            + (spec == null ? "" : spec)
            + " is invalid: "
            + why
            + "; expected file:PATH or kubernetes:NAMESPACE");
  }
}

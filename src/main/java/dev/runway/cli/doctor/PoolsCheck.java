package dev.runway.cli.doctor;

import dev.runway.platform.config.RunwayConfig;
import dev.runway.pools.Pool;
import dev.runway.pools.PoolSnapshot;
import dev.runway.pools.PoolSource;
import dev.runway.pools.PoolSources;
import dev.runway.pools.PoolView;
import io.fabric8.kubernetes.api.model.authorization.v1.SelfSubjectAccessReview;
import io.fabric8.kubernetes.api.model.authorization.v1.SelfSubjectAccessReviewBuilder;
import io.fabric8.kubernetes.client.KubernetesClient;
import io.fabric8.kubernetes.client.KubernetesClientException;
import io.micrometer.core.instrument.simple.SimpleMeterRegistry;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.function.Supplier;
import java.util.stream.Collectors;

/**
 * Whether the pool source answers, through the same source {@code serve} uses, and what it lists.
 * For Kubernetes it also asks the API server, through {@code SelfSubjectAccessReview}, whether
 * Runway's identity may get, list and watch {@code RunnerPool}s: the informer needs all three, and
 * without one of them the source never syncs.
 */
final class PoolsCheck {

  static final String NAME = "pools";

  /** The verbs the informer needs on {@code runnerpools.runway.dev}. */
  static final List<String> INFORMER_VERBS = List.of("get", "list", "watch");

  private final RunwayConfig config;
  private final Supplier<KubernetesClient> kubernetes;
  private final Duration wait;

  PoolsCheck(RunwayConfig config, Supplier<KubernetesClient> kubernetes, Duration wait) {
    this.config = config;
    this.kubernetes = kubernetes;
    this.wait = wait;
  }

  Check run() throws InterruptedException {
    String spec = config.pools();
    if (spec.startsWith("kubernetes:")) {
      return kubernetes(spec.substring("kubernetes:".length()));
    }
    try (PoolSource source = PoolSources.fromConfig(spec, new SimpleMeterRegistry())) {
      source.start(); // a file source has read the file when this returns
      return view(spec, source.current(), "", "fix the file; serve reloads it by itself");
    } catch (IllegalArgumentException e) {
      return Check.failed(NAME, e.getMessage(), "set " + RunwayConfig.POOLS);
    }
  }

  private Check kubernetes(String namespace) throws InterruptedException {
    try (KubernetesClient client = kubernetes.get()) {
      List<String> denied = new ArrayList<>();
      String rbac;
      try {
        for (String verb : INFORMER_VERBS) {
          if (!allowed(client, namespace, verb)) {
            denied.add(verb);
          }
        }
        rbac =
            denied.isEmpty()
                ? "; RBAC grants " + String.join(", ", INFORMER_VERBS) + " on runnerpools"
                : "";
      } catch (KubernetesClientException e) {
        rbac = "; RBAC not checked (SelfSubjectAccessReview: " + e.getCode() + ")";
      }
      if (!denied.isEmpty()) {
        return Check.failed(
            NAME,
            "Runway may not "
                + String.join(", ", denied)
                + " runnerpools.runway.dev in namespace "
                + namespace
                + " (SelfSubjectAccessReview)",
            "apply deploy/rbac/runway-rbac.yaml (get, list and watch on runnerpools) for Runway's"
                + " service account in "
                + namespace);
      }
      try (PoolSource source =
          PoolSources.fromConfig(config.pools(), new SimpleMeterRegistry(), () -> client)) {
        source.start();
        return view(
            config.pools(),
            source.awaitAvailable(wait),
            rbac,
            "check that the CRD (deploy/crd/runnerpool.yaml) is applied and the API server"
                + " answers");
      }
    } catch (KubernetesClientException e) {
      return Check.failed(
          NAME,
          "cannot reach the Kubernetes API: " + DatabaseCheck.firstSentence(e.getMessage()),
          "check the kubeconfig or the pod's service account");
    }
  }

  private static boolean allowed(KubernetesClient client, String namespace, String verb) {
    SelfSubjectAccessReview review =
        new SelfSubjectAccessReviewBuilder()
            .withNewSpec()
            .withNewResourceAttributes()
            .withGroup("runway.dev")
            .withResource("runnerpools")
            .withVerb(verb)
            .withNamespace(namespace)
            .endResourceAttributes()
            .endSpec()
            .build();
    SelfSubjectAccessReview answer =
        client.authorization().v1().selfSubjectAccessReview().create(review);
    return answer.getStatus() != null && Boolean.TRUE.equals(answer.getStatus().getAllowed());
  }

  /** Pools with {@code rerunOnRunnerLoss} that the last {@link #run} listed. */
  private boolean reruns;

  /** Whether a listed pool asks for reruns: the App then needs {@code actions: write}. */
  boolean reruns() {
    return reruns;
  }

  private Check view(String spec, PoolView view, String suffix, String fixUnavailable) {
    return view.fold(
        snapshot -> listed(spec, snapshot, suffix),
        reason -> Check.failed(NAME, spec + " does not answer: " + reason, fixUnavailable));
  }

  private Check listed(String spec, PoolSnapshot snapshot, String suffix) {
    List<Pool> pools = snapshot.pools();
    reruns = pools.stream().anyMatch(p -> p.rerunOnRunnerLoss() > 0);
    if (pools.isEmpty()) {
      return Check.warning(
          NAME,
          spec + " lists no pools" + suffix,
          "add a pool; until then every queued job is ignored as no_pools");
    }
    String names =
        pools.stream()
            .map(p -> p.name() + " [" + String.join(",", p.labels()) + "]")
            .collect(Collectors.joining(", "));
    return Check.ok(NAME, spec + " lists " + pools.size() + " pool(s): " + names + suffix);
  }
}

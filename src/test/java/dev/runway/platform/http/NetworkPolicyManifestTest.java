package dev.runway.platform.http;

import static org.assertj.core.api.Assertions.assertThat;

import dev.runway.platform.config.RunwayConfig;
import io.fabric8.kubernetes.api.model.networking.v1.NetworkPolicy;
import io.fabric8.kubernetes.api.model.networking.v1.NetworkPolicyIngressRule;
import io.fabric8.kubernetes.client.utils.Serialization;
import java.io.InputStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;

/** Keeps the NetworkPolicy example in step with the two listeners' default ports. */
class NetworkPolicyManifestTest {

  @Test
  void the_public_port_is_open_to_the_ingress_and_the_management_port_to_monitoring_only()
      throws Exception {
    NetworkPolicy policy;
    try (InputStream in =
        Files.newInputStream(Path.of("deploy/networkpolicy/runway-networkpolicy.yaml"))) {
      policy = Serialization.unmarshal(in, NetworkPolicy.class);
    }
    assertThat(policy.getSpec().getPolicyTypes()).containsExactly("Ingress");
    List<NetworkPolicyIngressRule> rules = policy.getSpec().getIngress();
    assertThat(rules).hasSize(2);
    RunwayConfig defaults = RunwayConfig.from(Map.of(RunwayConfig.WEBHOOK_SECRETS, "x"));
    assertThat(rule(rules, defaults.port())).isEqualTo("ingress-nginx");
    assertThat(rule(rules, defaults.adminPort())).isEqualTo("monitoring");
  }

  /** The one namespace allowed to reach {@code port}. */
  private static String rule(List<NetworkPolicyIngressRule> rules, int port) {
    List<NetworkPolicyIngressRule> matching =
        rules.stream()
            .filter(r -> r.getPorts().stream().anyMatch(p -> p.getPort().getIntVal() == port))
            .toList();
    assertThat(matching).hasSize(1);
    assertThat(matching.get(0).getFrom()).hasSize(1);
    return matching
        .get(0)
        .getFrom()
        .get(0)
        .getNamespaceSelector()
        .getMatchLabels()
        .get("kubernetes.io/metadata.name");
  }
}

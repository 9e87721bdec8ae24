package dev.runway.pools;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.fabric8.kubernetes.client.Config;
import io.fabric8.kubernetes.client.ConfigBuilder;
import io.fabric8.kubernetes.client.KubernetesClient;
import io.fabric8.kubernetes.client.KubernetesClientBuilder;
import io.micrometer.core.instrument.simple.SimpleMeterRegistry;
import java.nio.file.Path;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.NullAndEmptySource;
import org.junit.jupiter.params.provider.ValueSource;

class PoolSourcesTest {

  private final SimpleMeterRegistry registry = new SimpleMeterRegistry();

  @Test
  void file_spec_builds_a_file_source() {
    try (PoolSource source = PoolSources.fromConfig("file:/etc/runway/pools.yaml", registry)) {
      assertThat(source).isInstanceOf(FilePoolSource.class);
      assertThat(source.describe()).isEqualTo("file:" + Path.of("/etc/runway/pools.yaml"));
    }
  }

  @Test
  void kubernetes_spec_builds_an_informer_source_on_the_given_client() {
    Config config = new ConfigBuilder(Config.empty()).withMasterUrl("http://127.0.0.1:1").build();
    try (KubernetesClient client = new KubernetesClientBuilder().withConfig(config).build();
        PoolSource source = PoolSources.fromConfig("kubernetes:runners", registry, () -> client)) {
      assertThat(source).isInstanceOf(KubernetesPoolSource.class);
      assertThat(source.describe()).isEqualTo("kubernetes:runners");
      assertThat(source.current()).isInstanceOf(PoolView.Unavailable.class);
    }
  }

  @ParameterizedTest
  @NullAndEmptySource
  @ValueSource(strings = {"file:", "kubernetes:", "kubernetes:Bad_Namespace", "consul:x", "/a"})
  void a_bad_spec_is_rejected_naming_the_variable(String spec) {
    assertThatThrownBy(() -> PoolSources.fromConfig(spec, registry, () -> null))
        .isInstanceOf(IllegalArgumentException.class)
        .hasMessageStartingWith("RUNWAY_POOLS=")
        .hasMessageContaining("expected file:PATH or kubernetes:NAMESPACE");
  }
}

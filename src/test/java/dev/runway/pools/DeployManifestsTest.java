package dev.runway.pools;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.dataformat.yaml.YAMLFactory;
import io.fabric8.kubernetes.api.model.GenericKubernetesResource;
import io.fabric8.kubernetes.client.utils.Serialization;
import java.io.IOException;
import java.io.InputStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import org.junit.jupiter.api.Test;

/** Keeps {@code deploy/} in step with what {@link KubernetesPoolSource} reads. */
class DeployManifestsTest {

  private static final Path DEPLOY = Path.of("deploy");
  private final ObjectMapper yaml = new ObjectMapper(new YAMLFactory());

  @Test
  void the_crd_defines_the_resource_the_informer_watches() throws IOException {
    JsonNode spec = documents("crd/runnerpool.yaml").get(0).path("spec");
    JsonNode version = spec.path("versions").get(0);

    assertThat(spec.path("group").asText()).isEqualTo(KubernetesPoolSource.RUNNER_POOLS.getGroup());
    assertThat(spec.path("scope").asText()).isEqualTo("Namespaced");
    assertThat(spec.path("names").path("plural").asText()).isEqualTo("runnerpools");
    assertThat(spec.path("names").path("kind").asText()).isEqualTo("RunnerPool");
    assertThat(version.path("name").asText()).isEqualTo("v1alpha1");
  }

  @Test
  void the_crd_schema_requires_labels_and_bounds_the_numbers() throws IOException {
    JsonNode poolSpec =
        documents("crd/runnerpool.yaml")
            .get(0)
            .at("/spec/versions/0/schema/openAPIV3Schema/properties/spec");
    JsonNode properties = poolSpec.path("properties");

    assertThat(poolSpec.path("required").toString()).contains("labels");
    assertThat(properties.at("/labels/type").asText()).isEqualTo("array");
    assertThat(properties.at("/labels/minItems").asInt()).isEqualTo(1);
    assertThat(properties.at("/labels/items/type").asText()).isEqualTo("string");
    assertThat(properties.at("/maxRunners/minimum").asInt()).isEqualTo(1);
    assertThat(properties.at("/runnerGroupId/minimum").asInt()).isEqualTo(1);
    assertThat(properties.at("/runnerGroupId/default").asInt()).isEqualTo(1);
    assertThat(properties.at("/provider/required").toString())
        .contains("executable", "config", "image", "flavor");
    java.util.Set<String> providerFields = new java.util.TreeSet<>();
    properties.at("/provider/properties").fieldNames().forEachRemaining(providerFields::add);
    assertThat(providerFields).isEqualTo(new java.util.TreeSet<>(ProviderSpec.KEYS));
  }

  @Test
  void the_provisioned_example_passes_the_restricted_pod_policy() throws IOException {
    GenericKubernetesResource example;
    try (InputStream in =
        Files.newInputStream(DEPLOY.resolve("examples/runnerpool-kubernetes.yaml"))) {
      example = Serialization.unmarshal(in, GenericKubernetesResource.class);
    }
    Object template =
        ((java.util.Map<?, ?>) example.getAdditionalProperties().get("spec")).get("template");

    assertThat(
            new PodTemplatePolicy(dev.runway.platform.config.PodPolicy.RESTRICTED).check(template))
        .isEmpty();
  }

  @Test
  void the_example_pool_is_a_valid_runner_pool() throws IOException {
    GenericKubernetesResource example;
    try (InputStream in = Files.newInputStream(DEPLOY.resolve("examples/runnerpool-macos.yaml"))) {
      example = Serialization.unmarshal(in, GenericKubernetesResource.class);
    }

    assertThat(KubernetesPoolSource.parse(example))
        .isEqualTo(new Pool("macos-arm64", List.of("macOS", "ARM64"), 4, 1));
  }

  @Test
  void the_role_is_bound_to_the_service_account_and_lets_runway_read_runner_pools()
      throws IOException {
    List<JsonNode> documents = documents("rbac/runway-rbac.yaml");

    assertThat(documents)
        .extracting(d -> d.path("kind").asText())
        .containsExactly("ServiceAccount", "Role", "RoleBinding");
    JsonNode rule = documents.get(1).at("/rules/0");
    assertThat(rule.path("apiGroups").toString()).isEqualTo("[\"runway.dev\"]");
    assertThat(rule.path("resources").toString()).isEqualTo("[\"runnerpools\"]");
    assertThat(rule.path("verbs").toString()).isEqualTo("[\"get\",\"list\",\"watch\"]");
    assertThat(documents.get(2).at("/roleRef/name").asText())
        .isEqualTo(documents.get(1).at("/metadata/name").asText());
    assertThat(documents.get(2).at("/subjects/0/name").asText())
        .isEqualTo(documents.get(0).at("/metadata/name").asText());
  }

  @Test
  void the_crd_has_the_provisioning_fields_a_status_subresource_and_printer_columns()
      throws IOException {
    JsonNode version = documents("crd/runnerpool.yaml").get(0).at("/spec/versions/0");
    JsonNode spec = version.at("/schema/openAPIV3Schema/properties/spec/properties");
    JsonNode status = version.at("/schema/openAPIV3Schema/properties/status/properties");

    assertThat(spec.at("/template/x-kubernetes-preserve-unknown-fields").asBoolean()).isTrue();
    assertThat(spec.at("/minIdle/default").asInt()).isZero();
    assertThat(spec.at("/startTimeout/default").asText()).isEqualTo("5m");
    assertThat(spec.at("/maxLaunchFailures/default").asInt()).isEqualTo(5);
    assertThat(status.has("idle") && status.has("launching") && status.has("running")).isTrue();
    assertThat(status.has("conditions")).isTrue();
    assertThat(version.at("/subresources/status").isObject()).isTrue();
    assertThat(version.path("additionalPrinterColumns"))
        .extracting(c -> c.path("name").asText())
        .contains("Labels", "Running", "Max", "Idle", "Degraded");
  }

  @Test
  void the_provisioned_example_pool_is_a_valid_runner_pool() throws IOException {
    GenericKubernetesResource example;
    try (InputStream in =
        Files.newInputStream(DEPLOY.resolve("examples/runnerpool-kubernetes.yaml"))) {
      example = Serialization.unmarshal(in, GenericKubernetesResource.class);
    }

    assertThat(KubernetesPoolSource.parse(example))
        .isEqualTo(new Pool("linux-x64", List.of("linux", "x64"), 20, 1));
    String template = example.getAdditionalProperties().get("spec").toString();
    assertThat(template)
        .contains("ghcr.io/actions/actions-runner", "/home/runner/run.sh", "runner");
  }

  private List<JsonNode> documents(String file) throws IOException {
    try (var documents = yaml.readerFor(JsonNode.class).readValues(DEPLOY.resolve(file).toFile())) {
      return documents.readAll().stream().map(JsonNode.class::cast).toList();
    }
  }
}

package dev.runway.cli.doctor;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.runway.Main;
import io.fabric8.kubernetes.api.model.GenericKubernetesResourceBuilder;
import io.fabric8.kubernetes.client.Config;
import io.fabric8.kubernetes.client.ConfigBuilder;
import io.fabric8.kubernetes.client.KubernetesClient;
import io.fabric8.kubernetes.client.KubernetesClientBuilder;
import io.fabric8.kubernetes.client.dsl.base.CustomResourceDefinitionContext;
import io.fabric8.kubernetes.client.server.mock.KubernetesMixedDispatcher;
import io.fabric8.kubernetes.client.server.mock.KubernetesMockServer;
import io.fabric8.mockwebserver.Context;
import io.fabric8.mockwebserver.MockWebServer;
import io.fabric8.mockwebserver.ServerRequest;
import io.fabric8.mockwebserver.ServerResponse;
import java.io.IOException;
import java.io.PrintWriter;
import java.io.StringWriter;
import java.io.UncheckedIOException;
import java.net.InetAddress;
import java.nio.file.Path;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Queue;
import java.util.Set;
import java.util.concurrent.CopyOnWriteArrayList;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import picocli.CommandLine;

/**
 * The pools check against fabric8's mock API server: RunnerPools are kept and listed in CRUD mode,
 * while {@code SelfSubjectAccessReview}s (which CRUD mode cannot evaluate) are answered by an
 * expectation that grants the verbs the test chooses.
 */
class DoctorKubernetesIT {

  private static final String NAMESPACE = "runners";
  private static final CustomResourceDefinitionContext RUNNER_POOL_CRD =
      new CustomResourceDefinitionContext.Builder()
          .withName("runnerpools.runway.dev")
          .withGroup("runway.dev")
          .withVersion("v1alpha1")
          .withPlural("runnerpools")
          .withKind("RunnerPool")
          .withScope("Namespaced")
          .build();

  @TempDir Path tmp;

  private final ObjectMapper json = new ObjectMapper();
  private final List<String> askedVerbs = new CopyOnWriteArrayList<>();
  private KubernetesMockServer server;
  private Set<String> granted = Set.of("get", "list", "watch");

  @BeforeEach
  void startApiServer() {
    Map<ServerRequest, Queue<ServerResponse>> expectations = new HashMap<>();
    server =
        new KubernetesMockServer(
            new Context(),
            new MockWebServer(),
            expectations,
            new KubernetesMixedDispatcher(expectations, List.of(RUNNER_POOL_CRD)),
            false);
    server.start(InetAddress.getLoopbackAddress(), 0);
    server
        .expect()
        .post()
        .withPath("/apis/authorization.k8s.io/v1/selfsubjectaccessreviews")
        .andReply(201, request -> review(request.getBody().readUtf8()))
        .always();
    try (KubernetesClient client = client()) {
      client
          .genericKubernetesResources(RUNNER_POOL_CRD)
          .inNamespace(NAMESPACE)
          .resource(
              new GenericKubernetesResourceBuilder()
                  .withApiVersion("runway.dev/v1alpha1")
                  .withKind("RunnerPool")
                  .withNewMetadata()
                  .withName("macos-arm64")
                  .withNamespace(NAMESPACE)
                  .endMetadata()
                  .addToAdditionalProperties("spec", Map.of("labels", List.of("macos", "arm64")))
                  .build())
          .create();
    }
  }

  @AfterEach
  void stop() {
    server.destroy();
  }

  @Test
  void lists_the_pools_and_the_rbac_verbs_granted() throws IOException {
    JsonNode pools = poolsCheck();

    assertThat(pools.path("status").asText()).isEqualTo("ok");
    assertThat(pools.path("message").asText())
        .contains("kubernetes:runners lists 1 pool(s): macos-arm64 [macos,arm64]")
        .contains("RBAC grants get, list, watch on runnerpools");
    assertThat(askedVerbs).containsExactlyInAnyOrder("get", "list", "watch");
  }

  @Test
  void a_verb_the_informer_needs_and_lacks_fails_with_the_rbac_to_apply() throws IOException {
    granted = Set.of("get", "list");

    JsonNode pools = poolsCheck();

    assertThat(pools.path("status").asText()).isEqualTo("failed");
    assertThat(pools.path("message").asText())
        .isEqualTo(
            "Runway may not watch runnerpools.runway.dev in namespace runners"
                + " (SelfSubjectAccessReview)");
    assertThat(pools.path("fix").asText()).contains("deploy/rbac/runway-rbac.yaml");
  }

  private JsonNode poolsCheck() throws IOException {
    Map<String, String> env =
        Map.of(
            "RUNWAY_WEBHOOK_SECRETS",
            "s",
            "RUNWAY_POOLS",
            "kubernetes:" + NAMESPACE,
            "RUNWAY_DATA_DIR",
            tmp.resolve("data").toString());
    StringWriter out = new StringWriter();
    CommandLine runway =
        Main.commandLine(env, new PrintWriter(out), new PrintWriter(new StringWriter()));
    runway.getSubcommands().get("doctor").<DoctorCommand>getCommand().withKubernetes(this::client);
    int exit = runway.execute("doctor", "--format", "json", "--pools-wait", "20s");
    // No App credentials in this setup: the GitHub checks fail, so the exit is never 0.
    assertThat(exit).isEqualTo(1);
    for (JsonNode check : json.readTree(out.toString()).path("checks")) {
      if (check.path("check").asText().equals("pools")) {
        return check;
      }
    }
    throw new AssertionError("no pools check in " + out);
  }

  private String review(String requestBody) {
    try {
      JsonNode request = json.readTree(requestBody);
      JsonNode attributes = request.path("spec").path("resourceAttributes");
      String verb = attributes.path("verb").asText();
      assertThat(attributes.path("group").asText()).isEqualTo("runway.dev");
      assertThat(attributes.path("resource").asText()).isEqualTo("runnerpools");
      assertThat(attributes.path("namespace").asText()).isEqualTo(NAMESPACE);
      askedVerbs.add(verb);
      var answer = json.createObjectNode();
      answer.put("apiVersion", "authorization.k8s.io/v1");
      answer.put("kind", "SelfSubjectAccessReview");
      answer.set("spec", request.path("spec"));
      answer.putObject("status").put("allowed", granted.contains(verb));
      return json.writeValueAsString(answer);
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
  }

  private KubernetesClient client() {
    Config config =
        new ConfigBuilder(Config.empty())
            .withMasterUrl("http://127.0.0.1:" + server.getPort())
            .withNamespace(NAMESPACE)
            .withRequestRetryBackoffLimit(0)
            .withConnectionTimeout(2_000)
            .withRequestTimeout(5_000)
            .withHttp2Disable(true)
            .build();
    return new KubernetesClientBuilder().withConfig(config).build();
  }
}

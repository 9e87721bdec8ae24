package dev.runway.deploy;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;
import com.fasterxml.jackson.dataformat.yaml.YAMLFactory;
import com.marcnuri.helm.Helm;
import com.marcnuri.helm.LintResult;
import com.marcnuri.helm.TemplateCommand;
import io.fabric8.kubernetes.api.model.Container;
import io.fabric8.kubernetes.api.model.EnvVar;
import io.fabric8.kubernetes.api.model.GenericKubernetesResource;
import io.fabric8.kubernetes.api.model.HTTPGetAction;
import io.fabric8.kubernetes.api.model.HasMetadata;
import io.fabric8.kubernetes.api.model.PodSpec;
import io.fabric8.kubernetes.api.model.Service;
import io.fabric8.kubernetes.api.model.ServiceAccount;
import io.fabric8.kubernetes.api.model.VolumeMount;
import io.fabric8.kubernetes.api.model.apiextensions.v1.CustomResourceDefinition;
import io.fabric8.kubernetes.api.model.apps.StatefulSet;
import io.fabric8.kubernetes.api.model.networking.v1.Ingress;
import io.fabric8.kubernetes.api.model.networking.v1.NetworkPolicy;
import io.fabric8.kubernetes.api.model.policy.v1.PodDisruptionBudget;
import io.fabric8.kubernetes.api.model.rbac.PolicyRule;
import io.fabric8.kubernetes.api.model.rbac.Role;
import io.fabric8.kubernetes.api.model.rbac.RoleBinding;
import io.fabric8.kubernetes.client.KubernetesClient;
import io.fabric8.kubernetes.client.dsl.base.CustomResourceDefinitionContext;
import io.fabric8.kubernetes.client.server.mock.KubernetesCrudDispatcher;
import io.fabric8.kubernetes.client.server.mock.KubernetesMockServer;
import io.fabric8.mockwebserver.Context;
import io.fabric8.mockwebserver.MockWebServer;
import java.io.ByteArrayInputStream;
import java.io.IOException;
import java.io.InputStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.HashMap;
import java.util.Iterator;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeMap;
import java.util.TreeSet;
import java.util.stream.Stream;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The Helm chart deploy/helm/runway, linted and rendered by a real (embedded) Helm, parsed with
 * fabric8 and applied to fabric8's mock API server in CRUD mode.
 *
 * <p>"Every option" renders {@code ci/all-options-values.yaml} with distinctive fake values set for
 * everything that is not a secret, and only names of existing Secrets for the secrets: a secret
 * value has no way into the chart at all, and the test shows it.
 */
class HelmChartIT {
  static final Path CHART = Path.of("deploy/helm/runway");
  static final Path ALL_OPTIONS = CHART.resolve("ci/all-options-values.yaml");
  static final String NAMESPACE = "ci-runway";

  /** Environment variables whose values are secrets: they may only come from a Secret. */
  static final Set<String> SECRET_ENV =
      Set.of(
          "RUNWAY_WEBHOOK_SECRETS",
          "RUNWAY_DATABASE_URL",
          "RUNWAY_DATABASE_USER",
          "RUNWAY_DATABASE_PASSWORD",
          "RUNWAY_GITHUB_PRIVATE_KEY");

  /** Distinctive values for everything that is not a secret, so the test can find them again. */
  static final Map<String, String> FAKES =
      new LinkedHashMap<>(
          Map.of(
              "image.repository", "registry.invalid/fake/runway-image",
              "image.tag", "9.8.7-fake",
              "ports.public", "8181",
              "ports.management", "9191",
              "config.githubAppId", "2718281",
              "config.githubApiUrl", "https://ghes.fake.invalid/api/v3",
              "ingress.host", "hooks.fake.invalid",
              "secrets.webhook.existingSecret", "fake-webhook-secret-name",
              "secrets.githubApp.existingSecret", "fake-app-key-secret-name",
              "secrets.database.existingSecret", "fake-database-secret-name"));

  static final ObjectMapper YAML = new ObjectMapper(new YAMLFactory());

  static KubernetesMockServer server;
  static KubernetesClient client;

  @BeforeAll
  static void startApiServer() {
    List<CustomResourceDefinitionContext> crds =
        List.of(
            crd("runway.dev", "v1alpha1", "RunnerPool", "runnerpools"),
            crd("monitoring.coreos.com", "v1", "ServiceMonitor", "servicemonitors"),
            crd("monitoring.coreos.com", "v1", "PrometheusRule", "prometheusrules"));
    server =
        new KubernetesMockServer(
            new Context(),
            new MockWebServer(),
            new HashMap<>(),
            new KubernetesCrudDispatcher(crds),
            false);
    server.init();
    client = server.createClient();
  }

  @AfterAll
  static void stopApiServer() {
    client.close();
    server.destroy();
  }

  @Test
  void the_chart_lints_strictly_with_its_defaults() {
    LintResult result = new Helm(CHART).lint().strict().call();

    assertThat(result.isFailed()).as(String.join("\n", result.getMessages())).isFalse();
  }

  @Test
  void the_chart_lints_strictly_with_every_option_on(@TempDir Path dir) throws IOException {
    // helm lint takes no values file here, so lint a copy whose values.yaml has every option on.
    Path copy = copyChart(dir);
    ObjectNode values = (ObjectNode) YAML.readTree(CHART.resolve("values.yaml").toFile());
    merge(values, YAML.readTree(ALL_OPTIONS.toFile()));
    YAML.writeValue(copy.resolve("values.yaml").toFile(), values);

    LintResult result = new Helm(copy).lint().strict().call();

    assertThat(result.isFailed()).as(String.join("\n", result.getMessages())).isFalse();
  }

  @Test
  void defaults_render_a_statefulset_with_services_rbac_and_a_disruption_budget() {
    List<HasMetadata> items = render(false);

    assertThat(items)
        .extracting(HasMetadata::getKind)
        .containsExactlyInAnyOrder(
            "ServiceAccount",
            "Role",
            "RoleBinding",
            "Service",
            "Service",
            "Service",
            "StatefulSet",
            "PodDisruptionBudget");
    StatefulSet sts = one(items, StatefulSet.class);
    assertThat(sts.getSpec().getReplicas()).isEqualTo(2);
    assertThat(one(items, PodDisruptionBudget.class).getSpec().getMinAvailable().getIntVal())
        .isEqualTo(1);
    assertThat(env(container(sts), "RUNWAY_POOLS").getValue()).isEqualTo("kubernetes:" + NAMESPACE);
  }

  @Test
  void every_option_renders_ingress_monitoring_and_network_policy() {
    List<HasMetadata> items = render(true);

    assertThat(items)
        .extracting(HasMetadata::getKind)
        .contains("Ingress", "ServiceMonitor", "PrometheusRule", "NetworkPolicy");
    Ingress ingress = one(items, Ingress.class);
    Service publicService = service(items, "public");
    assertThat(ingress.getSpec().getRules().get(0).getHost()).isEqualTo("hooks.fake.invalid");
    assertThat(ingress.getSpec().getRules().get(0).getHttp().getPaths())
        .allSatisfy(
            p -> {
              assertThat(p.getBackend().getService().getName())
                  .isEqualTo(publicService.getMetadata().getName());
              assertThat(p.getBackend().getService().getPort().getName()).isEqualTo("public");
            });
    Container c = container(one(items, StatefulSet.class));
    assertThat(c.getImage()).isEqualTo("registry.invalid/fake/runway-image:9.8.7-fake");
    assertThat(env(c, "RUNWAY_GITHUB_APP_ID").getValue()).isEqualTo("2718281");
    assertThat(env(c, "RUNWAY_GITHUB_API_URL").getValue())
        .isEqualTo("https://ghes.fake.invalid/api/v3");
    assertThat(env(c, "RUNWAY_POOLS").getValue()).isEqualTo("kubernetes:runners");
    assertThat(env(c, "RUNWAY_CLAIM_LEASE").getValue()).isEqualTo("10m");
  }

  @Test
  void probes_go_to_the_management_port_and_services_split_public_from_management() {
    for (boolean allOptions : List.of(false, true)) {
      List<HasMetadata> items = render(allOptions);
      Container c = container(one(items, StatefulSet.class));
      int management = allOptions ? 9191 : 9090;
      int publicPort = allOptions ? 8181 : 8080;

      assertThat(port(c, "management")).isEqualTo(management);
      assertThat(port(c, "public")).isEqualTo(publicPort);
      assertThat(env(c, "RUNWAY_ADMIN_PORT").getValue()).isEqualTo(String.valueOf(management));
      assertThat(env(c, "RUNWAY_PORT").getValue()).isEqualTo(String.valueOf(publicPort));
      assertProbe(c.getLivenessProbe().getHttpGet(), "/healthz");
      assertProbe(c.getReadinessProbe().getHttpGet(), "/readyz");
      assertProbe(c.getStartupProbe().getHttpGet(), "/healthz");
      assertThat(service(items, "public").getSpec().getPorts())
          .singleElement()
          .satisfies(p -> assertThat(p.getTargetPort().getStrVal()).isEqualTo("public"));
      assertThat(service(items, "management").getSpec().getPorts())
          .singleElement()
          .satisfies(p -> assertThat(p.getTargetPort().getStrVal()).isEqualTo("management"));
    }
  }

  @Test
  void the_spool_sits_on_a_persistent_volume_claim_per_replica() {
    for (boolean allOptions : List.of(false, true)) {
      StatefulSet sts = one(render(allOptions), StatefulSet.class);
      Container c = container(sts);
      VolumeMount spoolMount =
          c.getVolumeMounts().stream()
              .filter(m -> m.getName().equals("spool"))
              .findFirst()
              .orElseThrow();

      assertThat(sts.getSpec().getVolumeClaimTemplates())
          .extracting(pvc -> pvc.getMetadata().getName())
          .containsExactly("spool");
      assertThat(sts.getSpec().getTemplate().getSpec().getVolumes())
          .extracting(v -> v.getName())
          .doesNotContain("spool");
      assertThat(env(c, "RUNWAY_SPOOL_DIR").getValue()).startsWith(spoolMount.getMountPath() + "/");
      assertThat(sts.getSpec().getPersistentVolumeClaimRetentionPolicy().getWhenScaled())
          .isEqualTo("Retain");
    }
  }

  @Test
  void the_pod_runs_as_non_root_on_a_read_only_root_with_no_capabilities() {
    StatefulSet sts = one(render(false), StatefulSet.class);
    PodSpec pod = sts.getSpec().getTemplate().getSpec();
    Container c = container(sts);

    assertThat(pod.getSecurityContext().getRunAsNonRoot()).isTrue();
    assertThat(pod.getSecurityContext().getRunAsUser()).isPositive();
    assertThat(c.getSecurityContext().getReadOnlyRootFilesystem()).isTrue();
    assertThat(c.getSecurityContext().getAllowPrivilegeEscalation()).isFalse();
    assertThat(c.getSecurityContext().getCapabilities().getDrop()).containsExactly("ALL");
    assertThat(c.getResources().getRequests()).containsKeys("cpu", "memory");
    assertThat(c.getResources().getLimits()).containsKey("memory");
    assertThat(c.getVolumeMounts()).extracting(VolumeMount::getMountPath).contains("/tmp");
  }

  @Test
  void no_secret_value_appears_in_any_manifest() {
    for (boolean allOptions : List.of(false, true)) {
      List<HasMetadata> items = render(allOptions);
      Set<String> secretNames =
          allOptions
              ? Set.of(
                  FAKES.get("secrets.webhook.existingSecret"),
                  FAKES.get("secrets.database.existingSecret"))
              : Set.of("runway-webhook", "runway-database");

      assertThat(items).extracting(HasMetadata::getKind).doesNotContain("Secret", "ConfigMap");
      Container c = container(one(items, StatefulSet.class));
      for (EnvVar e : c.getEnv()) {
        if (SECRET_ENV.contains(e.getName())) {
          assertThat(e.getValue()).as(e.getName() + " has a literal value").isNull();
          assertThat(e.getValueFrom().getSecretKeyRef().getName())
              .as(e.getName())
              .isIn(secretNames);
        }
      }
      assertThat(c.getEnv())
          .extracting(EnvVar::getName)
          .contains("RUNWAY_WEBHOOK_SECRETS", "RUNWAY_DATABASE_URL")
          .doesNotContain("RUNWAY_GITHUB_PRIVATE_KEY");
    }
    // The App's key is a file from the named Secret, never an environment value.
    StatefulSet sts = one(render(true), StatefulSet.class);
    assertThat(env(container(sts), "RUNWAY_GITHUB_PRIVATE_KEY_FILE").getValue())
        .startsWith("/etc/runway/github-app/");
    assertThat(sts.getSpec().getTemplate().getSpec().getVolumes())
        .filteredOn(v -> v.getSecret() != null)
        .extracting(v -> v.getSecret().getSecretName())
        .containsExactly("fake-app-key-secret-name");
  }

  @Test
  void values_hold_only_secret_references_and_the_schema_refuses_secret_values()
      throws IOException {
    JsonNode secrets = YAML.readTree(CHART.resolve("values.yaml").toFile()).path("secrets");
    Set<String> leaves = new TreeSet<>();
    collectLeafNames(secrets, leaves);
    assertThat(leaves).isSubsetOf("existingSecret", "key", "urlKey", "userKey", "passwordKey");

    assertThatThrownBy(() -> template(false).set("secrets.webhook.value", "s3cr3t").call())
        .hasMessageContaining("value");
    assertThatThrownBy(
            () -> template(false).set("config.extraEnv.RUNWAY_WEBHOOK_SECRETS", "s3cr3t").call())
        .hasMessageContaining("extraEnv");
    assertThatThrownBy(() -> template(false).set("replicaCount", "two").call())
        .hasMessageContaining("replicaCount");
  }

  @Test
  void the_role_holds_exactly_the_verbs_the_code_uses() throws IOException {
    assertThat(rules(one(render(false), Role.class).getRules()))
        .isEqualTo(KubernetesAccess.expected(true));
    assertThat(rules(one(render(true), Role.class).getRules()))
        .isEqualTo(KubernetesAccess.expected(true));
    List<HasMetadata> withoutProvisioner =
        parse(template(false).set("rbac.provisioner", "false").call());
    assertThat(rules(one(withoutProvisioner, Role.class).getRules()))
        .isEqualTo(KubernetesAccess.expected(false));

    // deploy/rbac/ (for installs without Helm) grants the same.
    List<HasMetadata> plain;
    try (InputStream in = Files.newInputStream(Path.of("deploy/rbac/runway-rbac.yaml"))) {
      plain = client.load(in).items();
    }
    assertThat(rules(one(plain, Role.class).getRules())).isEqualTo(KubernetesAccess.expected(true));

    List<HasMetadata> items = render(false);
    RoleBinding binding = one(items, RoleBinding.class);
    assertThat(binding.getRoleRef().getName())
        .isEqualTo(one(items, Role.class).getMetadata().getName());
    assertThat(binding.getSubjects())
        .singleElement()
        .satisfies(
            s ->
                assertThat(s.getName())
                    .isEqualTo(one(items, ServiceAccount.class).getMetadata().getName()));
    assertThat(
            one(items, StatefulSet.class).getSpec().getTemplate().getSpec().getServiceAccountName())
        .isEqualTo(one(items, ServiceAccount.class).getMetadata().getName());
  }

  @Test
  void the_chart_ships_the_same_crd_and_alert_rules_as_deploy() throws IOException {
    assertThat(Files.readString(CHART.resolve("crds/runnerpool.yaml")))
        .as("deploy/helm/runway/crds/runnerpool.yaml is a copy of deploy/crd/runnerpool.yaml")
        .isEqualTo(Files.readString(Path.of("deploy/crd/runnerpool.yaml")));
    assertThat(Files.readString(CHART.resolve("files/runway-rules.yaml")))
        .as("deploy/helm/runway/files/runway-rules.yaml is a copy of deploy/prometheus/")
        .isEqualTo(Files.readString(Path.of("deploy/prometheus/runway-rules.yaml")));

    GenericKubernetesResource rule =
        (GenericKubernetesResource)
            render(true).stream()
                .filter(i -> i.getKind().equals("PrometheusRule"))
                .findFirst()
                .orElseThrow();
    JsonNode rendered = new ObjectMapper().valueToTree(rule.getAdditionalProperties().get("spec"));
    assertThat(rendered)
        .isEqualTo(YAML.readTree(Path.of("deploy/prometheus/runway-rules.yaml").toFile()));
  }

  @Test
  void the_rendered_manifests_apply_to_an_api_server() throws IOException {
    CustomResourceDefinition crd;
    try (InputStream in = Files.newInputStream(CHART.resolve("crds/runnerpool.yaml"))) {
      crd = client.apiextensions().v1().customResourceDefinitions().load(in).item();
    }
    client.apiextensions().v1().customResourceDefinitions().resource(crd).create();

    for (boolean allOptions : List.of(false, true)) {
      String ns = NAMESPACE + (allOptions ? "-all" : "-defaults");
      List<HasMetadata> items = render(allOptions);
      for (HasMetadata item : items) {
        client.resource(item).inNamespace(ns).create();
      }
      for (HasMetadata item : items) {
        HasMetadata stored = client.resource(item).inNamespace(ns).get();
        assertThat(stored).as(item.getKind() + " " + item.getMetadata().getName()).isNotNull();
        assertThat(stored.getMetadata().getNamespace()).isEqualTo(ns);
      }
      assertThat(client.apps().statefulSets().inNamespace(ns).list().getItems()).hasSize(1);
      assertThat(client.services().inNamespace(ns).list().getItems()).hasSize(3);
    }
    assertThat(
            client
                .genericKubernetesResources("monitoring.coreos.com/v1", "PrometheusRule")
                .inNamespace(NAMESPACE + "-all")
                .list()
                .getItems())
        .hasSize(1);
    assertThat(
            client
                .network()
                .v1()
                .networkPolicies()
                .inNamespace(NAMESPACE + "-all")
                .list()
                .getItems())
        .singleElement()
        .isInstanceOf(NetworkPolicy.class);
  }

  @Test
  void the_image_runs_the_jar_as_the_non_root_user_the_chart_expects() throws IOException {
    List<String> lines =
        Files.readAllLines(Path.of("Dockerfile")).stream()
            .map(String::strip)
            .filter(l -> !l.isEmpty() && !l.startsWith("#"))
            .toList();
    List<String> stages = lines.stream().filter(l -> l.startsWith("FROM ")).toList();
    StatefulSet sts = one(render(false), StatefulSet.class);
    long uid = sts.getSpec().getTemplate().getSpec().getSecurityContext().getRunAsUser();

    assertThat(stages).hasSize(2);
    assertThat(stages.get(0)).contains("maven").contains("17").endsWith(" AS build");
    assertThat(stages.get(1)).contains("17-jre");
    assertThat(lines).contains("USER " + uid + ":" + uid);
    assertThat(lines).contains("ENTRYPOINT [\"java\", \"-jar\", \"/app/runway.jar\"]");
    assertThat(lines).contains("CMD [\"serve\"]");
    assertThat(container(sts).getArgs()).containsExactly("serve");
    assertThat(String.join("\n", lines)).contains("-XX:MaxRAMPercentage=");
  }

  // ---- helpers ----

  static TemplateCommand template(boolean allOptions) {
    TemplateCommand t = new Helm(CHART).template().withName("ci").withNamespace(NAMESPACE);
    if (allOptions) {
      t = t.withValuesFile(ALL_OPTIONS);
      for (Map.Entry<String, String> e : FAKES.entrySet()) {
        t = t.set(e.getKey(), e.getValue());
      }
    }
    return t;
  }

  static List<HasMetadata> render(boolean allOptions) {
    return parse(template(allOptions).call());
  }

  static List<HasMetadata> parse(String manifests) {
    return client
        .load(new ByteArrayInputStream(manifests.getBytes(StandardCharsets.UTF_8)))
        .items();
  }

  static <T extends HasMetadata> T one(List<HasMetadata> items, Class<T> type) {
    List<T> found = items.stream().filter(type::isInstance).map(type::cast).toList();
    assertThat(found).as(type.getSimpleName()).hasSize(1);
    return found.get(0);
  }

  static Service service(List<HasMetadata> items, String component) {
    return items.stream()
        .filter(Service.class::isInstance)
        .map(Service.class::cast)
        .filter(
            s -> component.equals(s.getMetadata().getLabels().get("app.kubernetes.io/component")))
        .findFirst()
        .orElseThrow(() -> new AssertionError("no " + component + " Service"));
  }

  static Container container(StatefulSet sts) {
    List<Container> containers = sts.getSpec().getTemplate().getSpec().getContainers();
    assertThat(containers).hasSize(1);
    return containers.get(0);
  }

  static EnvVar env(Container c, String name) {
    return c.getEnv().stream()
        .filter(e -> e.getName().equals(name))
        .findFirst()
        .orElseThrow(() -> new AssertionError("no " + name + " in the container's env"));
  }

  static int port(Container c, String name) {
    return c.getPorts().stream()
        .filter(p -> name.equals(p.getName()))
        .findFirst()
        .orElseThrow(() -> new AssertionError("no container port " + name))
        .getContainerPort();
  }

  static void assertProbe(HTTPGetAction get, String path) {
    assertThat(get.getPath()).isEqualTo(path);
    assertThat(get.getPort().getStrVal()).isEqualTo("management");
  }

  /** "group/resource" to verbs, merging rules that name the same resource. */
  static Map<String, Set<String>> rules(List<PolicyRule> rules) {
    Map<String, Set<String>> m = new TreeMap<>();
    for (PolicyRule r : rules) {
      for (String group : r.getApiGroups()) {
        for (String resource : r.getResources()) {
          m.computeIfAbsent(group + "/" + resource, k -> new TreeSet<>()).addAll(r.getVerbs());
        }
      }
    }
    return m;
  }

  static CustomResourceDefinitionContext crd(
      String group, String version, String kind, String plural) {
    return new CustomResourceDefinitionContext.Builder()
        .withGroup(group)
        .withVersion(version)
        .withKind(kind)
        .withPlural(plural)
        .withScope("Namespaced")
        .build();
  }

  static void merge(ObjectNode into, JsonNode from) {
    for (Iterator<Map.Entry<String, JsonNode>> it = from.fields(); it.hasNext(); ) {
      Map.Entry<String, JsonNode> e = it.next();
      JsonNode existing = into.get(e.getKey());
      if (existing instanceof ObjectNode o && e.getValue().isObject()) {
        merge(o, e.getValue());
      } else {
        into.set(e.getKey(), e.getValue());
      }
    }
  }

  static void collectLeafNames(JsonNode node, Set<String> names) {
    node.fields()
        .forEachRemaining(
            e -> {
              if (e.getValue().isObject()) {
                collectLeafNames(e.getValue(), names);
              } else {
                names.add(e.getKey());
              }
            });
  }

  static Path copyChart(Path dir) throws IOException {
    Path target = dir.resolve("runway");
    List<Path> files;
    try (Stream<Path> walk = Files.walk(CHART)) {
      files = new ArrayList<>(walk.sorted(Comparator.naturalOrder()).toList());
    }
    for (Path source : files) {
      Path dest = target.resolve(CHART.relativize(source).toString());
      if (Files.isDirectory(source)) {
        Files.createDirectories(dest);
      } else {
        Files.copy(source, dest);
      }
    }
    return target;
  }
}

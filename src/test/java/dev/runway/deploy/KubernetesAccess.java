package dev.runway.deploy;

import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeMap;
import java.util.TreeSet;

/**
 * Every Kubernetes API call Runway makes in its namespace, as RBAC rules. The chart's Role and
 * deploy/rbac/runway-rbac.yaml must grant exactly these: a missing verb breaks the pool source or
 * the provisioner at run time, an extra one is more power than the service needs.
 *
 * <p>Keep this list next to the code it describes: {@code pools.KubernetesPoolSource} (an informer:
 * list, then watch; get for single reads) and {@code provisioner.Provisioner} (one Pod per claim,
 * created, watched through an informer, read once before it is failed at startTimeout, deleted; one
 * Secret per Pod with the JIT config, created and deleted; the RunnerPool status). {@code
 * provisioner.ProvisionerBurstIT} records the requests Runway really sends and checks them against
 * deploy/rbac/runway-rbac.yaml.
 */
final class KubernetesAccess {

  /** One API group and resource, the verbs used on it, and who uses them. */
  record Use(String apiGroup, String resource, Set<String> verbs, boolean provisioner) {}

  static final List<Use> USED =
      List.of(
          new Use("runway.dev", "runnerpools", Set.of("get", "list", "watch"), false),
          new Use("runway.dev", "runnerpools/status", Set.of("update"), true),
          new Use("", "pods", Set.of("create", "delete", "get", "list", "watch"), true),
          new Use("", "secrets", Set.of("create", "delete", "patch"), true));

  private KubernetesAccess() {}

  /** "group/resource" to verbs, for the uses selected (with or without the provisioner). */
  static Map<String, Set<String>> expected(boolean withProvisioner) {
    Map<String, Set<String>> m = new TreeMap<>();
    for (Use u : USED) {
      if (withProvisioner || !u.provisioner()) {
        m.put(u.apiGroup() + "/" + u.resource(), new TreeSet<>(u.verbs()));
      }
    }
    return m;
  }
}

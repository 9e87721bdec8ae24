// Over 400 lines because it checks every field of a Pod template a RunnerPool may set, one short
// rule each.
package dev.runway.pools;

import dev.runway.platform.config.PodPolicy;
import io.fabric8.kubernetes.api.model.Capabilities;
import io.fabric8.kubernetes.api.model.Container;
import io.fabric8.kubernetes.api.model.ContainerPort;
import io.fabric8.kubernetes.api.model.EnvFromSource;
import io.fabric8.kubernetes.api.model.EnvVar;
import io.fabric8.kubernetes.api.model.PodSecurityContext;
import io.fabric8.kubernetes.api.model.PodSpec;
import io.fabric8.kubernetes.api.model.PodTemplateSpec;
import io.fabric8.kubernetes.api.model.SELinuxOptions;
import io.fabric8.kubernetes.api.model.SeccompProfile;
import io.fabric8.kubernetes.api.model.SecurityContext;
import io.fabric8.kubernetes.api.model.Sysctl;
import io.fabric8.kubernetes.api.model.Volume;
import io.fabric8.kubernetes.api.model.VolumeProjection;
import io.fabric8.kubernetes.client.utils.Serialization;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.Set;
import java.util.TreeSet;

/**
 * What a {@code RunnerPool} template may ask of its Pods, by {@code RUNWAY_POD_POLICY}. Pure: it
 * reads a template and names each problem, and never talks to the API server.
 *
 * <p>A runner Pod runs code from whoever can push a workflow, so a template is a privilege that
 * Runway grants on the pool author's behalf. The levels:
 *
 * <ul>
 *   <li>{@code baseline} and {@code restricted} are the Kubernetes Pod Security Standards (v1.30)
 *       of the same name: baseline refuses privileged containers, host namespaces, hostPath
 *       volumes, host ports, added capabilities beyond the baseline list, unsafe sysctls, an
 *       unconfined seccomp or AppArmor profile, custom SELinux users and roles, and an unmasked
 *       {@code /proc}; restricted adds {@code runAsNonRoot}, no root {@code runAsUser}, {@code
 *       allowPrivilegeEscalation: false}, capabilities {@code drop: [ALL]} (only {@code
 *       NET_BIND_SERVICE} added), seccomp {@code RuntimeDefault} or {@code Localhost}, and the
 *       restricted volume types.
 *   <li>At both levels, Runway's own rules: no service account but the namespace's {@code default}
 *       (the one Runway sets, by setting none), no {@code automountServiceAccountToken: true}, and
 *       no Secret of any kind (volume, projected volume, env {@code secretKeyRef}, {@code envFrom})
 *       beyond the claim's own JIT config, which Runway adds itself. {@code imagePullSecrets} stay
 *       allowed: the kubelet uses them, the containers never see them.
 *   <li>{@code unrestricted} checks nothing, and Runway sets no defaults.
 * </ul>
 *
 * <p>Runway sets, where the template leaves them unset, the defaults that cannot break a runner:
 * {@code automountServiceAccountToken: false} (baseline and restricted), and at restricted {@code
 * allowPrivilegeEscalation: false}, {@code capabilities.drop: [ALL]} and the Pod's seccomp profile
 * {@code RuntimeDefault}. It does not default {@code runAsNonRoot}: an image whose user is root, or
 * a name rather than a number (the actions-runner image's {@code runner}), would then fail to start
 * at every launch, so the template has to say it ({@code runAsNonRoot: true}, {@code runAsUser:
 * 1001} for that image). {@link #check} judges the template with these defaults applied, as the Pod
 * will be.
 */
public final class PodTemplatePolicy {

  /** The container Runway puts the JIT config into; every template must have it. */
  public static final String RUNNER_CONTAINER = "runner";

  private static final Set<String> BASELINE_CAPABILITIES =
      Set.of(
          "AUDIT_WRITE",
          "CHOWN",
          "DAC_OVERRIDE",
          "FOWNER",
          "FSETID",
          "KILL",
          "MKNOD",
          "NET_BIND_SERVICE",
          "SETFCAP",
          "SETGID",
          "SETPCAP",
          "SETUID",
          "SYS_CHROOT");
  private static final Set<String> SAFE_SYSCTLS =
      Set.of(
          "kernel.shm_rmid_forced",
          "net.ipv4.ip_local_port_range",
          "net.ipv4.ip_unprivileged_port_start",
          "net.ipv4.tcp_syncookies",
          "net.ipv4.ping_group_range",
          "net.ipv4.ip_local_reserved_ports",
          "net.ipv4.tcp_keepalive_time",
          "net.ipv4.tcp_fin_timeout",
          "net.ipv4.tcp_keepalive_intvl",
          "net.ipv4.tcp_keepalive_probes");
  private static final Set<String> SELINUX_TYPES =
      Set.of("container_t", "container_init_t", "container_kvm_t", "container_engine_t");
  private static final Set<String> RESTRICTED_VOLUMES =
      Set.of(
          "configMap",
          "csi",
          "downwardAPI",
          "emptyDir",
          "ephemeral",
          "persistentVolumeClaim",
          "projected",
          "secret");
  private static final String APPARMOR_ANNOTATION =
      "container.apparmor.security.beta.kubernetes.io/";
  private static final String DEFAULT_SERVICE_ACCOUNT = "default";

  private final PodPolicy level;

  public PodTemplatePolicy(PodPolicy level) {
    this.level = Objects.requireNonNull(level, "level");
  }

  public PodPolicy level() {
    return level;
  }

  /**
   * Reads a {@code RunnerPool}'s raw {@code spec.template} and names every problem: not a
   * PodTemplateSpec, no {@code runner} container, and each thing the policy refuses.
   *
   * @return the problems, empty when the template may run
   */
  public List<String> check(Object rawTemplate) {
    PodTemplateSpec template;
    try {
      template = Serialization.jsonMapper().convertValue(rawTemplate, PodTemplateSpec.class);
    } catch (IllegalArgumentException e) {
      return List.of("template is not a PodTemplateSpec");
    }
    return check(template);
  }

  /** The problems of {@code template} as Runway would run it, defaults applied. */
  public List<String> check(PodTemplateSpec template) {
    List<String> problems = new ArrayList<>();
    PodSpec spec = template.getSpec();
    if (spec == null
        || spec.getContainers() == null
        || spec.getContainers().stream().noneMatch(c -> RUNNER_CONTAINER.equals(c.getName()))) {
      problems.add("template must have a container named \"" + RUNNER_CONTAINER + "\"");
      return problems;
    }
    if (level == PodPolicy.UNRESTRICTED) {
      return problems;
    }
    spec = withDefaults(spec);
    runwayRules(spec, problems);
    baseline(template, spec, problems);
    if (level == PodPolicy.RESTRICTED) {
      restricted(spec, problems);
    }
    return problems;
  }

  /**
   * A copy of {@code spec} with the defaults Runway sets at this level where the template leaves
   * them unset (see the class comment); {@code spec} itself is not changed.
   */
  public PodSpec withDefaults(PodSpec spec) {
    PodSpec copy = Serialization.jsonMapper().convertValue(spec, PodSpec.class);
    if (level == PodPolicy.UNRESTRICTED) {
      return copy;
    }
    if (copy.getAutomountServiceAccountToken() == null) {
      copy.setAutomountServiceAccountToken(false);
    }
    if (level != PodPolicy.RESTRICTED) {
      return copy;
    }
    PodSecurityContext pod = copy.getSecurityContext();
    if (pod == null) {
      pod = new PodSecurityContext();
      copy.setSecurityContext(pod);
    }
    if (pod.getSeccompProfile() == null) {
      pod.setSeccompProfile(new SeccompProfile(null, "RuntimeDefault"));
    }
    for (Container c : containers(copy)) {
      SecurityContext sc = c.getSecurityContext();
      if (sc == null) {
        sc = new SecurityContext();
        c.setSecurityContext(sc);
      }
      if (sc.getAllowPrivilegeEscalation() == null) {
        sc.setAllowPrivilegeEscalation(false);
      }
      if (sc.getCapabilities() == null) {
        sc.setCapabilities(new Capabilities());
      }
      if (sc.getCapabilities().getDrop() == null || sc.getCapabilities().getDrop().isEmpty()) {
        sc.getCapabilities().setDrop(new ArrayList<>(List.of("ALL")));
      }
    }
    return copy;
  }

  private static void runwayRules(PodSpec spec, List<String> problems) {
    for (String account : new String[] {spec.getServiceAccountName(), spec.getServiceAccount()}) {
      if (account != null && !account.isBlank() && !DEFAULT_SERVICE_ACCOUNT.equals(account)) {
        problems.add(
            "serviceAccountName \""
                + account
                + "\" is not allowed: runner Pods run as the namespace's default service account");
        break;
      }
    }
    if (Boolean.TRUE.equals(spec.getAutomountServiceAccountToken())) {
      problems.add(
          "automountServiceAccountToken: true is not allowed: a job would hold a Kubernetes API"
              + " token");
    }
    for (Volume v : list(spec.getVolumes())) {
      if (v.getSecret() != null) {
        problems.add(
            "volume \""
                + v.getName()
                + "\" mounts Secret \""
                + v.getSecret().getSecretName()
                + "\": only the claim's own JIT config, which Runway adds, may be a Secret");
      }
      if (v.getProjected() != null) {
        for (VolumeProjection p : list(v.getProjected().getSources())) {
          if (p.getSecret() != null) {
            problems.add(
                "volume \""
                    + v.getName()
                    + "\" projects Secret \""
                    + p.getSecret().getName()
                    + "\": only the claim's own JIT config, which Runway adds, may be a Secret");
          }
          if (p.getServiceAccountToken() != null) {
            problems.add(
                "volume \"" + v.getName() + "\" projects a service account token: not allowed");
          }
        }
      }
    }
    for (Container c : containers(spec)) {
      for (EnvVar e : list(c.getEnv())) {
        if (e.getValueFrom() != null && e.getValueFrom().getSecretKeyRef() != null) {
          problems.add(
              "container \""
                  + c.getName()
                  + "\" env "
                  + e.getName()
                  + " reads Secret \""
                  + e.getValueFrom().getSecretKeyRef().getName()
                  + "\": only the claim's own JIT config, which Runway adds, may be a Secret");
        }
      }
      for (EnvFromSource e : list(c.getEnvFrom())) {
        if (e.getSecretRef() != null) {
          problems.add(
              "container \""
                  + c.getName()
                  + "\" envFrom reads Secret \""
                  + e.getSecretRef().getName()
                  + "\": only the claim's own JIT config, which Runway adds, may be a Secret");
        }
      }
    }
  }

  private static void baseline(PodTemplateSpec template, PodSpec spec, List<String> problems) {
    if (Boolean.TRUE.equals(spec.getHostNetwork())) {
      problems.add("hostNetwork is not allowed");
    }
    if (Boolean.TRUE.equals(spec.getHostPID())) {
      problems.add("hostPID is not allowed");
    }
    if (Boolean.TRUE.equals(spec.getHostIPC())) {
      problems.add("hostIPC is not allowed");
    }
    for (Volume v : list(spec.getVolumes())) {
      if (v.getHostPath() != null) {
        problems.add("volume \"" + v.getName() + "\" is a hostPath: not allowed");
      }
    }
    PodSecurityContext pod = spec.getSecurityContext();
    if (pod != null) {
      hostProcess(
          "the Pod",
          pod.getWindowsOptions() == null ? null : pod.getWindowsOptions().getHostProcess(),
          problems);
      seccompNotUnconfined("the Pod", pod.getSeccompProfile(), problems);
      seLinux("the Pod", pod.getSeLinuxOptions(), problems);
      for (Sysctl s : list(pod.getSysctls())) {
        if (!SAFE_SYSCTLS.contains(s.getName())) {
          problems.add("sysctl " + s.getName() + " is not allowed");
        }
      }
    }
    Map<String, String> annotations =
        template.getMetadata() == null ? null : template.getMetadata().getAnnotations();
    if (annotations != null) {
      annotations.forEach(
          (k, v) -> {
            if (k.startsWith(APPARMOR_ANNOTATION)
                && !"runtime/default".equals(v)
                && !v.startsWith("localhost/")) {
              problems.add("AppArmor profile " + v + " of " + k + " is not allowed");
            }
          });
    }
    for (Container c : containers(spec)) {
      String who = "container \"" + c.getName() + "\"";
      for (ContainerPort p : list(c.getPorts())) {
        if (p.getHostPort() != null && p.getHostPort() != 0) {
          problems.add(who + " hostPort " + p.getHostPort() + " is not allowed");
        }
      }
      SecurityContext sc = c.getSecurityContext();
      if (sc == null) {
        continue;
      }
      if (Boolean.TRUE.equals(sc.getPrivileged())) {
        problems.add(who + " is privileged: not allowed");
      }
      hostProcess(
          who,
          sc.getWindowsOptions() == null ? null : sc.getWindowsOptions().getHostProcess(),
          problems);
      seccompNotUnconfined(who, sc.getSeccompProfile(), problems);
      seLinux(who, sc.getSeLinuxOptions(), problems);
      if (sc.getAppArmorProfile() != null
          && "Unconfined".equals(sc.getAppArmorProfile().getType())) {
        problems.add(who + " AppArmor profile Unconfined is not allowed");
      }
      if (sc.getProcMount() != null && !"Default".equals(sc.getProcMount())) {
        problems.add(who + " procMount " + sc.getProcMount() + " is not allowed");
      }
      if (sc.getCapabilities() != null) {
        Set<String> extra = new TreeSet<>(list(sc.getCapabilities().getAdd()));
        extra.removeAll(BASELINE_CAPABILITIES);
        if (!extra.isEmpty()) {
          problems.add(who + " adds capabilities " + extra + ": not allowed");
        }
      }
    }
  }

  private static void restricted(PodSpec spec, List<String> problems) {
    for (Volume v : list(spec.getVolumes())) {
      @SuppressWarnings("unchecked")
      Map<String, Object> fields = Serialization.jsonMapper().convertValue(v, Map.class);
      Set<String> kinds = new TreeSet<>(fields.keySet());
      kinds.remove("name");
      kinds.removeAll(RESTRICTED_VOLUMES);
      kinds.remove("hostPath"); // already refused at baseline
      if (!kinds.isEmpty()) {
        problems.add(
            "volume \"" + v.getName() + "\" of type " + kinds + " is not allowed at restricted");
      }
    }
    PodSecurityContext pod = spec.getSecurityContext();
    boolean podNonRoot = pod != null && Boolean.TRUE.equals(pod.getRunAsNonRoot());
    if (pod != null && Long.valueOf(0).equals(pod.getRunAsUser())) {
      problems.add("the Pod's runAsUser 0 (root) is not allowed at restricted");
    }
    boolean podSeccomp = pod != null && confined(pod.getSeccompProfile());
    for (Container c : containers(spec)) {
      String who = "container \"" + c.getName() + "\"";
      SecurityContext sc =
          c.getSecurityContext() == null ? new SecurityContext() : c.getSecurityContext();
      if (!Boolean.FALSE.equals(sc.getAllowPrivilegeEscalation())) {
        problems.add(who + " must set allowPrivilegeEscalation: false");
      }
      boolean nonRoot = sc.getRunAsNonRoot() != null ? sc.getRunAsNonRoot() : podNonRoot;
      if (!nonRoot) {
        problems.add(
            who
                + " must run as non-root: set securityContext.runAsNonRoot: true (and a numeric"
                + " runAsUser, 1001 for the actions-runner image)");
      }
      if (Long.valueOf(0).equals(sc.getRunAsUser())) {
        problems.add(who + " runAsUser 0 (root) is not allowed at restricted");
      }
      if (sc.getSeccompProfile() != null ? !confined(sc.getSeccompProfile()) : !podSeccomp) {
        problems.add(who + " must have seccompProfile RuntimeDefault or Localhost");
      }
      Capabilities caps = sc.getCapabilities();
      if (caps == null || !list(caps.getDrop()).contains("ALL")) {
        problems.add(who + " must drop ALL capabilities");
      }
      if (caps != null) {
        Set<String> extra = new TreeSet<>(list(caps.getAdd()));
        extra.remove("NET_BIND_SERVICE");
        if (!extra.isEmpty()) {
          problems.add(who + " may add only NET_BIND_SERVICE at restricted, adds " + extra);
        }
      }
    }
  }

  private static void hostProcess(String who, Boolean hostProcess, List<String> problems) {
    if (Boolean.TRUE.equals(hostProcess)) {
      problems.add(who + " is a Windows hostProcess: not allowed");
    }
  }

  private static void seccompNotUnconfined(
      String who, SeccompProfile profile, List<String> problems) {
    if (profile != null && "Unconfined".equals(profile.getType())) {
      problems.add(who + " seccompProfile Unconfined is not allowed");
    }
  }

  private static boolean confined(SeccompProfile profile) {
    return profile != null
        && ("RuntimeDefault".equals(profile.getType()) || "Localhost".equals(profile.getType()));
  }

  private static void seLinux(String who, SELinuxOptions o, List<String> problems) {
    if (o == null) {
      return;
    }
    if (o.getType() != null && !o.getType().isEmpty() && !SELINUX_TYPES.contains(o.getType())) {
      problems.add(who + " SELinux type " + o.getType() + " is not allowed");
    }
    if ((o.getUser() != null && !o.getUser().isEmpty())
        || (o.getRole() != null && !o.getRole().isEmpty())) {
      problems.add(who + " may not set an SELinux user or role");
    }
  }

  private static List<Container> containers(PodSpec spec) {
    List<Container> all = new ArrayList<>(list(spec.getContainers()));
    all.addAll(list(spec.getInitContainers()));
    return all;
  }

  private static <T> List<T> list(List<T> l) {
    return l == null ? List.of() : l;
  }
}

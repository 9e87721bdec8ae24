package dev.runway.cli.githubapp;

import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * What the GitHub App must be allowed to do for the calls Runway makes, in one place: the manifest
 * asks for it and {@code runway doctor} checks it.
 *
 * <ul>
 *   <li>{@code organization_self_hosted_runners: write}: organisation-level {@code
 *       generate-jitconfig}, and listing or deleting the organisation's runners.
 *   <li>{@code actions: read}: {@code GET /repos/{owner}/{repo}/actions/jobs/{id}}, used by the
 *       stale-job check; {@code actions: write} for {@code POST .../actions/jobs/{id}/rerun}, which
 *       a pool's {@code rerunOnRunnerLoss} uses. The manifest asks for write; {@code runway doctor}
 *       requires it only when a pool asks for reruns.
 *   <li>{@code administration: write}: repository-level runners, which only user-owned repositories
 *       need. It lets the App administer repositories, so an App for organisations does not ask for
 *       it.
 *   <li>{@code metadata: read}: always granted; named because the manifest must be complete.
 * </ul>
 */
public final class AppPermissions {

  /** The only event Runway subscribes to; {@code installation*} reach every App regardless. */
  public static final String EVENT = "workflow_job";

  public static final String ADMINISTRATION = "administration";

  private AppPermissions() {}

  /**
   * The permissions Runway needs.
   *
   * @param userRepositories whether jobs of user-owned repositories are to get runners
   */
  public static Map<String, String> required(boolean userRepositories) {
    return required(userRepositories, false);
  }

  /**
   * The permissions Runway needs.
   *
   * @param userRepositories whether jobs of user-owned repositories are to get runners
   * @param reruns whether a pool reruns jobs on runner loss ({@code actions: write})
   */
  public static Map<String, String> required(boolean userRepositories, boolean reruns) {
    Map<String, String> m = new LinkedHashMap<>();
    m.put("organization_self_hosted_runners", "write");
    m.put("actions", reruns ? "write" : "read");
    if (userRepositories) {
      m.put(ADMINISTRATION, "write");
    }
    m.put("metadata", "read");
    return m;
  }

  /** What {@code required} asks for and {@code granted} lacks, as {@code name: level} texts. */
  public static List<String> missing(Map<String, String> required, Map<String, String> granted) {
    List<String> missing = new ArrayList<>();
    required.forEach(
        (name, level) -> {
          if (!covers(granted.get(name), level)) {
            missing.add(name + ": " + level);
          }
        });
    return missing;
  }

  /** {@code write} covers {@code read}; anything else covers only itself. */
  static boolean covers(String granted, String wanted) {
    if (granted == null) {
      return false;
    }
    return granted.equals(wanted) || (granted.equals("write") && wanted.equals("read"));
  }
}

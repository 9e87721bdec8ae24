package dev.runway.cli.githubapp;

import static org.assertj.core.api.Assertions.assertThat;

import java.util.Map;
import org.junit.jupiter.api.Test;

class AppPermissionsTest {

  @Test
  void write_covers_read_but_read_does_not_cover_write() {
    Map<String, String> required = AppPermissions.required(false);

    assertThat(
            AppPermissions.missing(
                required,
                Map.of(
                    "organization_self_hosted_runners", "write",
                    "actions", "write",
                    "metadata", "read")))
        .isEmpty();
    assertThat(
            AppPermissions.missing(
                required,
                Map.of(
                    "organization_self_hosted_runners", "read",
                    "actions", "read",
                    "metadata", "read")))
        .containsExactly("organization_self_hosted_runners: write");
  }

  @Test
  void actions_write_is_required_only_when_a_pool_reruns_jobs() {
    Map<String, String> granted =
        Map.of(
            "organization_self_hosted_runners", "write",
            "actions", "read",
            "metadata", "read");
    assertThat(AppPermissions.missing(AppPermissions.required(false, false), granted)).isEmpty();
    assertThat(AppPermissions.missing(AppPermissions.required(false, true), granted))
        .containsExactly("actions: write");
  }

  @Test
  void administration_is_asked_only_for_user_owned_repositories() {
    assertThat(AppPermissions.required(false)).doesNotContainKey("administration");
    assertThat(AppPermissions.required(true)).containsEntry("administration", "write");
  }
}

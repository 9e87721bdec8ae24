package dev.runway.platform.config;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.nio.file.Path;
import java.time.Duration;
import java.util.Map;
import org.junit.jupiter.api.Test;

class RunwayConfigTest {
  @Test
  void defaults_need_only_a_webhook_secret() {
    RunwayConfig c = RunwayConfig.from(Map.of("RUNWAY_WEBHOOK_SECRETS", "a, b ,"));
    assertThat(c.port()).isEqualTo(8080);
    assertThat(c.databaseUrl()).isEmpty();
    assertThat(c.webhookSecrets()).containsExactly("a", "b");
    assertThat(c.pools()).isEqualTo("file:pools.yaml");
    assertThat(c.spoolDir()).isEqualTo(Path.of("runway-data", "spool"));
    assertThat(c.intakeBudget()).isEqualTo(Duration.ofMillis(750));
  }

  @Test
  void unverified_webhook_memory_defaults_to_64_mib_and_takes_plain_bytes_or_units() {
    assertThat(RunwayConfig.from(Map.of("RUNWAY_WEBHOOK_SECRETS", "a")).webhookUnverifiedMemory())
        .isEqualTo(64L << 20);
    assertThat(
            RunwayConfig.from(
                    Map.of(
                        "RUNWAY_WEBHOOK_SECRETS", "a", "RUNWAY_WEBHOOK_UNVERIFIED_MEMORY", "2GiB"))
                .webhookUnverifiedMemory())
        .isEqualTo(2L << 30);
    assertThat(
            RunwayConfig.from(
                    Map.of(
                        "RUNWAY_WEBHOOK_SECRETS",
                        "a",
                        "RUNWAY_WEBHOOK_UNVERIFIED_MEMORY",
                        "2097152"))
                .webhookUnverifiedMemory())
        .isEqualTo(2L << 20);
    for (String bad : new String[] {"64MB", "-1", "1KiB"}) {
      assertThatThrownBy(
              () ->
                  RunwayConfig.from(
                      Map.of(
                          "RUNWAY_WEBHOOK_SECRETS", "a", "RUNWAY_WEBHOOK_UNVERIFIED_MEMORY", bad)))
          .as(bad)
          .hasMessageContaining("RUNWAY_WEBHOOK_UNVERIFIED_MEMORY");
    }
  }

  @Test
  void claims_and_stale_checks_have_their_documented_defaults() {
    RunwayConfig c = RunwayConfig.from(Map.of("RUNWAY_WEBHOOK_SECRETS", "a"));
    assertThat(c.claimLease()).isEqualTo(Duration.ofMinutes(5));
    assertThat(c.staleInProgress()).isEqualTo(Duration.ofHours(6));
    assertThat(c.staleQueued()).isEqualTo(Duration.ofHours(1));
    assertThat(c.hasAppCredentials()).isFalse();
    assertThat(c.redacted()).containsKeys("RUNWAY_CLAIM_LEASE", "RUNWAY_STALE_QUEUED");
  }

  @Test
  void provider_pools_settings_default_to_no_public_url_and_a_30s_sync() {
    RunwayConfig c = RunwayConfig.from(Map.of("RUNWAY_WEBHOOK_SECRETS", "a"));
    assertThat(c.providers().publicUrl()).isEmpty();
    assertThat(c.providers().syncInterval()).isEqualTo(Duration.ofSeconds(30));
    assertThat(c.redacted()).containsKeys("RUNWAY_PUBLIC_URL", "RUNWAY_PROVIDER_SYNC_INTERVAL");
    RunwayConfig set =
        RunwayConfig.from(
            Map.of(
                "RUNWAY_WEBHOOK_SECRETS", "a",
                "RUNWAY_PUBLIC_URL", "https://runway.example.com",
                "RUNWAY_PROVIDER_SYNC_INTERVAL", "1m"));
    assertThat(set.providers().publicUrl())
        .hasValue(java.net.URI.create("https://runway.example.com"));
    assertThat(set.providers().syncInterval()).isEqualTo(Duration.ofMinutes(1));
    assertThatThrownBy(
            () ->
                RunwayConfig.from(
                    Map.of("RUNWAY_WEBHOOK_SECRETS", "a", "RUNWAY_PUBLIC_URL", "runway:8080")))
        .hasMessageContaining("RUNWAY_PUBLIC_URL");
  }

  @Test
  void the_provisioner_has_its_documented_defaults_and_a_bounded_launch_rate() {
    RunwayConfig c = RunwayConfig.from(Map.of("RUNWAY_WEBHOOK_SECRETS", "a"));
    assertThat(c.provisioner().interval()).isEqualTo(Duration.ofSeconds(2));
    assertThat(c.provisioner().launchesPerCycle()).isEqualTo(20);
    assertThat(c.redacted()).containsKeys("RUNWAY_PROVISIONER_LAUNCHES_PER_CYCLE");

    assertThatThrownBy(
            () ->
                RunwayConfig.from(
                    Map.of(
                        "RUNWAY_WEBHOOK_SECRETS",
                        "a",
                        "RUNWAY_PROVISIONER_LAUNCHES_PER_CYCLE",
                        "0")))
        .hasMessageContaining("RUNWAY_PROVISIONER_LAUNCHES_PER_CYCLE");
    assertThatThrownBy(
            () ->
                RunwayConfig.from(
                    Map.of("RUNWAY_WEBHOOK_SECRETS", "a", "RUNWAY_PROVISIONER_INTERVAL", "0s")))
        .hasMessageContaining("RUNWAY_PROVISIONER_INTERVAL");
  }

  @Test
  void the_pod_policy_defaults_to_restricted_and_names_its_variable_when_bad() {
    RunwayConfig c = RunwayConfig.from(Map.of("RUNWAY_WEBHOOK_SECRETS", "a"));
    assertThat(c.provisioner().podPolicy()).isEqualTo(PodPolicy.RESTRICTED);
    assertThat(c.redacted()).containsEntry("RUNWAY_POD_POLICY", "restricted");
    assertThat(
            RunwayConfig.from(
                    Map.of("RUNWAY_WEBHOOK_SECRETS", "a", "RUNWAY_POD_POLICY", "Baseline"))
                .provisioner()
                .podPolicy())
        .isEqualTo(PodPolicy.BASELINE);
    assertThatThrownBy(
            () ->
                RunwayConfig.from(
                    Map.of("RUNWAY_WEBHOOK_SECRETS", "a", "RUNWAY_POD_POLICY", "privileged")))
        .hasMessageStartingWith("RUNWAY_POD_POLICY:")
        .hasMessageContaining("baseline, restricted or unrestricted");
  }

  @Test
  void an_app_id_without_a_key_file_names_the_missing_variable() {
    assertThatThrownBy(
            () ->
                RunwayConfig.from(
                    Map.of("RUNWAY_WEBHOOK_SECRETS", "a", "RUNWAY_GITHUB_APP_ID", "1")))
        .hasMessageStartingWith("RUNWAY_GITHUB_PRIVATE_KEY_FILE:");
    assertThatThrownBy(
            () ->
                RunwayConfig.from(
                    Map.of("RUNWAY_WEBHOOK_SECRETS", "a", "RUNWAY_CLAIM_LEASE", "0s")))
        .hasMessageStartingWith("RUNWAY_CLAIM_LEASE:");
  }

  @Test
  void a_bad_value_names_its_variable() {
    assertThatThrownBy(
            () -> RunwayConfig.from(Map.of("RUNWAY_WEBHOOK_SECRETS", "a", "RUNWAY_PORT", "http")))
        .isInstanceOf(ConfigException.class)
        .hasMessageStartingWith("RUNWAY_PORT:");
    assertThatThrownBy(() -> RunwayConfig.from(Map.of()))
        .hasMessageStartingWith("RUNWAY_WEBHOOK_SECRETS:");
    assertThatThrownBy(
            () ->
                RunwayConfig.from(Map.of("RUNWAY_WEBHOOK_SECRETS", "a", "RUNWAY_POOLS", "ldap:x")))
        .hasMessageStartingWith("RUNWAY_POOLS:");
    assertThatThrownBy(
            () ->
                RunwayConfig.from(
                    Map.of("RUNWAY_WEBHOOK_SECRETS", "a", "RUNWAY_INTAKE_BUDGET", "soon")))
        .hasMessageStartingWith("RUNWAY_INTAKE_BUDGET:");
  }

  @Test
  void the_logged_form_never_contains_a_secret() {
    RunwayConfig c =
        RunwayConfig.from(
            Map.of(
                "RUNWAY_WEBHOOK_SECRETS", "hunter2,swordfish",
                "RUNWAY_DATABASE_URL", "jdbc:postgresql://db/runway?user=r&password=pa55word",
                "RUNWAY_DATABASE_PASSWORD", "pa55word"));
    String logged = c.toString() + c.redacted();
    assertThat(logged).doesNotContain("hunter2", "swordfish", "pa55word").contains("2 secret(s)");
  }

  @Test
  void durations_accept_short_and_iso_forms() {
    assertThat(Durations.parse("250ms")).isEqualTo(Duration.ofMillis(250));
    assertThat(Durations.parse("2h")).isEqualTo(Duration.ofHours(2));
    assertThat(Durations.parse("PT5M")).isEqualTo(Duration.ofMinutes(5));
    assertThatThrownBy(() -> Durations.parse("5 minutes"))
        .isInstanceOf(IllegalArgumentException.class);
  }

  @Test
  void hardening_settings_have_their_documented_defaults() {
    RunwayConfig c = RunwayConfig.from(Map.of("RUNWAY_WEBHOOK_SECRETS", "a"));
    assertThat(c.adminPort()).isEqualTo(9090);
    assertThat(c.claimDeadline()).isEqualTo(Duration.ofSeconds(20));
    assertThat(c.webhookBodyTimeout()).isEqualTo(Duration.ofSeconds(5));
    assertThat(c.retention())
        .isEqualTo(
            new RunwayConfig.Retention(
                Duration.ofDays(7),
                Duration.ofDays(30),
                Duration.ofDays(30),
                Duration.ofDays(30),
                Duration.ofMinutes(10)));
    assertThat(c.redacted())
        .containsKeys(
            "RUNWAY_ADMIN_PORT",
            "RUNWAY_CLAIM_DEADLINE",
            "RUNWAY_RETENTION_PAYLOADS",
            "RUNWAY_RETENTION_REDELIVERIES");
  }

  @Test
  void bad_hardening_settings_name_their_variable() {
    assertThatThrownBy(
            () ->
                RunwayConfig.from(
                    Map.of("RUNWAY_WEBHOOK_SECRETS", "a", "RUNWAY_ADMIN_PORT", "8080")))
        .hasMessageStartingWith("RUNWAY_ADMIN_PORT:");
    assertThatThrownBy(
            () ->
                RunwayConfig.from(
                    Map.of("RUNWAY_WEBHOOK_SECRETS", "a", "RUNWAY_WEBHOOK_BODY_TIMEOUT", "30s")))
        .hasMessageStartingWith("RUNWAY_WEBHOOK_BODY_TIMEOUT:");
    assertThatThrownBy(
            () ->
                RunwayConfig.from(
                    Map.of("RUNWAY_WEBHOOK_SECRETS", "a", "RUNWAY_CLAIM_DEADLINE", "0s")))
        .hasMessageStartingWith("RUNWAY_CLAIM_DEADLINE:");
    assertThatThrownBy(
            () ->
                RunwayConfig.from(
                    Map.of(
                        "RUNWAY_WEBHOOK_SECRETS",
                        "a",
                        "RUNWAY_RETENTION_PAYLOADS",
                        "60d",
                        "RUNWAY_RETENTION_DELIVERIES",
                        "30d")))
        .hasMessageStartingWith("RUNWAY_RETENTION_PAYLOADS:");
  }

  @Test
  void the_bulkheads_have_their_documented_defaults_and_bounds() {
    RunwayConfig c = RunwayConfig.from(Map.of("RUNWAY_WEBHOOK_SECRETS", "a"));
    assertThat(c.bulkheads()).isEqualTo(new RunwayConfig.Bulkheads(32, 64, 20));
    assertThat(c.redacted())
        .containsEntry("RUNWAY_CLAIM_THREADS", 32)
        .containsEntry("RUNWAY_CLAIM_QUEUE", 64)
        .containsEntry("RUNWAY_GITHUB_MAX_CONCURRENCY", 20);
    for (String[] bad :
        new String[][] {
          {"RUNWAY_CLAIM_THREADS", "0"},
          {"RUNWAY_CLAIM_QUEUE", "-1"},
          {"RUNWAY_GITHUB_MAX_CONCURRENCY", "0"},
          {"RUNWAY_GITHUB_MAX_CONCURRENCY", "101"}
        }) {
      assertThatThrownBy(
              () -> RunwayConfig.from(Map.of("RUNWAY_WEBHOOK_SECRETS", "a", bad[0], bad[1])))
          .hasMessageStartingWith(bad[0] + ":");
    }
  }
}

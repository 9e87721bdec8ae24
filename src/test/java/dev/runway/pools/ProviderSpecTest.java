package dev.runway.pools;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;

class ProviderSpecTest {
  private static final String POOL = "- name: vm\n  labels: [vm]\n  provider: ";

  private final PoolsFileParser parser = new PoolsFileParser();

  private List<Pool> parse(String yaml) throws Exception {
    return parser.parse(yaml.getBytes(StandardCharsets.UTF_8));
  }

  @Test
  void a_provider_pool_reads_every_field_and_defaults_the_rest() throws Exception {
    Pool pool =
        parse(
                POOL
                    + "{executable: /opt/garm-provider-aws, config: /etc/runway/aws.toml,"
                    + " image: ami-1, flavor: t3.large, extraSpecs: {subnet_id: s-1, disk: 20}}\n")
            .get(0);
    ProviderSpec p = pool.provider();
    assertThat(p.executable()).isEqualTo(Path.of("/opt/garm-provider-aws"));
    assertThat(p.config()).isEqualTo(Path.of("/etc/runway/aws.toml"));
    assertThat(p.image()).isEqualTo("ami-1");
    assertThat(p.flavor()).isEqualTo("t3.large");
    assertThat(p.osType()).isEqualTo("linux");
    assertThat(p.osArch()).isEqualTo("amd64");
    assertThat(p.extraSpecs().toString()).isEqualTo("{\"subnet_id\":\"s-1\",\"disk\":20}");
    assertThat(p.bootstrapTimeout()).isEqualTo(Duration.ofMinutes(20));
    assertThat(p.callTimeout()).isEqualTo(Duration.ofMinutes(5));
    assertThat(p.minIdle()).isZero();
    assertThat(p.maxLaunchFailures()).isEqualTo(5);
  }

  @Test
  void a_pool_without_provider_has_none() throws Exception {
    assertThat(parse("- name: a\n  labels: [x]\n").get(0).provider()).isNull();
  }

  @ParameterizedTest(name = "{0}")
  @CsvSource(
      delimiter = '|',
      textBlock =
          """
          no executable       | {config: /c, image: i, flavor: f}                                    | provider.executable is required
          relative executable | {executable: bin/p, config: /c, image: i, flavor: f}                 | provider.executable must be an absolute path
          no config           | {executable: /p, image: i, flavor: f}                                | provider.config is required
          no image            | {executable: /p, config: /c, flavor: f}                              | provider.image is required
          no flavor           | {executable: /p, config: /c, image: i}                               | provider.flavor is required
          bad osType          | {executable: /p, config: /c, image: i, flavor: f, osType: beos}      | provider.osType must be one of
          bad osArch          | {executable: /p, config: /c, image: i, flavor: f, osArch: sparc}     | provider.osArch must be one of
          bad extraSpecs      | {executable: /p, config: /c, image: i, flavor: f, extraSpecs: [1]}   | provider.extraSpecs must be a mapping
          bad timeout         | {executable: /p, config: /c, image: i, flavor: f, bootstrapTimeout: soon} | provider.bootstrapTimeout must be a positive duration
          negative minIdle    | {executable: /p, config: /c, image: i, flavor: f, minIdle: -1}       | provider.minIdle must be an integer of at least 0
          unknown key         | {executable: /p, config: /c, image: i, flavor: f, flavour: f}        | provider: unknown key "flavour"
          not a mapping       | /opt/p                                                               | provider must be a mapping
          """)
  void a_bad_provider_is_refused_naming_its_field(String why, String provider, String message) {
    assertThatThrownBy(() -> parse(POOL + provider + "\n"))
        .hasMessageContaining("pools[0] (\"vm\")")
        .hasMessageContaining(message);
  }
}

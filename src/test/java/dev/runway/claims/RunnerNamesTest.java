package dev.runway.claims;

import static org.assertj.core.api.Assertions.assertThat;

import dev.runway.pools.Pool;
import java.util.List;
import org.junit.jupiter.api.Test;

class RunnerNamesTest {
  @Test
  void a_runner_name_carries_its_pool_and_claim_id_even_when_the_pool_has_dashes() {
    String name = RunnerNames.of("linux-x64-large", 42);
    assertThat(name).isEqualTo("runway-linux-x64-large-42");
    assertThat(RunnerNames.parse(name)).contains(new RunnerNames.Parsed("linux-x64-large", 42));
  }

  @Test
  void names_that_are_not_runways_parse_to_nothing() {
    assertThat(RunnerNames.parse(null)).isEmpty();
    assertThat(RunnerNames.parse("GitHub Actions 12")).isEmpty();
    assertThat(RunnerNames.parse("runway-linux")).isEmpty();
    assertThat(RunnerNames.parse("runway-linux-")).isEmpty();
    assertThat(RunnerNames.parse("runway--7")).isEmpty();
    assertThat(RunnerNames.parse("runway-linux-99999999999999999999")).isEmpty();
  }

  @Test
  void a_runner_gets_the_pool_labels_and_self_hosted_once() {
    assertThat(Claims.runnerLabels(new Pool("mac", List.of("macos", "arm64"))))
        .containsExactly("self-hosted", "macos", "arm64");
    assertThat(Claims.runnerLabels(new Pool("mac", List.of("Self-Hosted", "macos"))))
        .containsExactly("Self-Hosted", "macos");
  }
}

package dev.runway.provisioner;

import static org.assertj.core.api.Assertions.assertThat;

import io.micrometer.core.instrument.Gauge;
import io.micrometer.core.instrument.simple.SimpleMeterRegistry;
import java.util.Map;
import java.util.Optional;
import org.junit.jupiter.api.Test;

class DegradedGaugesTest {
  final SimpleMeterRegistry registry = new SimpleMeterRegistry();
  final DegradedGauges gauges = new DegradedGauges(registry);

  Double value(String pool) {
    Gauge g = registry.find("runway.pool.degraded").tag("pool", pool).gauge();
    return g == null ? null : g.value();
  }

  @Test
  void each_provisioned_pool_reads_1_while_degraded_and_0_otherwise() {
    gauges.set(Map.of("gpu", Optional.of("5 launch failures in a row"), "linux", Optional.empty()));

    assertThat(value("gpu")).isEqualTo(1.0);
    assertThat(value("linux")).isEqualTo(0.0);
    assertThat(gauges.degraded()).containsExactly(Map.entry("gpu", "5 launch failures in a row"));

    gauges.set(Map.of("gpu", Optional.empty(), "linux", Optional.empty()));
    assertThat(value("gpu")).isEqualTo(0.0);
    assertThat(gauges.degraded()).isEmpty();
  }

  @Test
  void a_pool_no_longer_provisioned_and_a_lost_lead_remove_the_series() {
    gauges.set(Map.of("gpu", Optional.of("x"), "linux", Optional.empty()));

    gauges.set(Map.of("linux", Optional.empty()));
    assertThat(value("gpu")).as("pool no longer provisioned").isNull();
    assertThat(value("linux")).isEqualTo(0.0);

    gauges.set(Map.of("gpu", Optional.of("x")));
    gauges.clear();
    assertThat(registry.find("runway.pool.degraded").gauges()).as("lead lost").isEmpty();
    assertThat(gauges.degraded()).isEmpty();

    gauges.set(Map.of("gpu", Optional.of("x")));
    assertThat(value("gpu")).as("registers again on a new lead").isEqualTo(1.0);
  }
}

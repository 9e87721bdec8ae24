package dev.runway.provisioner;

import java.util.Map;

/**
 * Which provisioned pools are {@code Degraded} now, as the replica that leads provisioning knows it
 * (the same state as {@code runway_pool_degraded} and the pool's {@code Degraded} condition). Read
 * by the web UI; a replica that does not lead, or runs no provisioner, knows of none.
 */
public interface DegradedPools {
  /** Without a provisioner: no pool is ever Degraded. */
  DegradedPools NONE = Map::of;

  /** Degraded pools by name, each with a short operator-facing why; never null. */
  Map<String, String> degraded();
}

package dev.runway.archfixture.platform.db;

import dev.runway.archfixture.jobs.Jobs;

/** A platform class that uses a feature: platform may use platform only. */
public final class UsesFeature {
  public Jobs jobs() {
    return new Jobs();
  }
}

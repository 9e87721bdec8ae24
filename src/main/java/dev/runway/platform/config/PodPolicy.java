package dev.runway.platform.config;

import java.util.Locale;

/**
 * How much a {@code RunnerPool} template may ask of its Pods ({@code RUNWAY_POD_POLICY}). The first
 * two are the Kubernetes Pod Security Standards levels of the same name; {@code unrestricted} turns
 * the check off, Runway's own Secret and service-account rules included.
 */
public enum PodPolicy {
  BASELINE,
  RESTRICTED,
  UNRESTRICTED;

  /** {@code baseline}, {@code restricted} or {@code unrestricted}, any case. */
  public static PodPolicy parse(String value) {
    try {
      return valueOf(value.trim().toUpperCase(Locale.ROOT));
    } catch (IllegalArgumentException e) {
      throw new IllegalArgumentException(
          "must be baseline, restricted or unrestricted, was " + value);
    }
  }

  /** The value as it is written in {@code RUNWAY_POD_POLICY}. */
  public String label() {
    return name().toLowerCase(Locale.ROOT);
  }
}

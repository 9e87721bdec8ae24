package dev.runway.archfixture.pools;

import dev.runway.archfixture.claims.Claim;
import dev.runway.jobs.JobRepository;

/**
 * Pools may use no other feature, yet this uses claims; and it reaches the real jobs writer from
 * outside the classes allowed to.
 */
public final class UsesClaims {
  public Claim claim() {
    return new Claim();
  }

  public JobRepository writer() {
    return new JobRepository();
  }
}

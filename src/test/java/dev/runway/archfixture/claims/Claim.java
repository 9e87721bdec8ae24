package dev.runway.archfixture.claims;

import dev.runway.archfixture.pools.UsesClaims;

/** The fixture's claims feature; it uses pools, and pools uses it back: a cycle. */
public final class Claim {
  public UsesClaims pool() {
    return new UsesClaims();
  }
}

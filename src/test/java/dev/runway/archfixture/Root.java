package dev.runway.archfixture;

import dev.runway.archfixture.cli.UsesRoot;

/**
 * Deliberate rule breakers for ArchitectureTest, laid out as the real tiers are under {@code
 * dev.runway}: each class breaks one rule, so each rule is shown to fail. Not part of the product.
 * This one is the root, and the command line it mounts imports it back: a cycle through the root.
 */
public final class Root {
  public UsesRoot mount() {
    return new UsesRoot();
  }
}

package dev.runway.archfixture.cli;

import dev.runway.archfixture.Root;

/** An edge that imports the root: the cycle the first layout hid (see {@link Root}). */
public final class UsesRoot {
  public Root root() {
    return new Root();
  }
}

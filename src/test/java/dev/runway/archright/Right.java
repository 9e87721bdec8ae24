package dev.runway.archright;

import dev.runway.archleft.Left;

/** The other half of {@link Left}'s package cycle. */
public final class Right {
  public Left left() {
    return new Left();
  }
}

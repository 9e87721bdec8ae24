package dev.runway.archfixture.jobs;

import dev.runway.archfixture.cli.Output;

/** A feature that imports the command line: no feature imports an edge. */
public final class UsesCli {
  public Output out() {
    return new Output();
  }
}

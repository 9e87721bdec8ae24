package dev.runway.archfixture.cli;

/** A command-line helper, for {@code jobs.UsesCli} to import. */
public final class Output {}

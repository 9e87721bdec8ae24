package dev.runway.archfixture.jobs;

/** The fixture's jobs feature. */
public final class Jobs {}

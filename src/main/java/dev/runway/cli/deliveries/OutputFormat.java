package dev.runway.cli.deliveries;

/** How data goes to stdout. */
enum OutputFormat {
  /** One JSON document (an array for lists). */
  JSON,
  /** One JSON object per line, written as each arrives. */
  NDJSON,
  /** Aligned columns for people. */
  TABLE
}

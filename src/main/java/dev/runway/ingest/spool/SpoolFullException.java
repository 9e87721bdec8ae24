package dev.runway.ingest.spool;

import java.io.IOException;

/** Nothing could be stored durably: the spool is over its maximum size, or the disk failed. */
final class SpoolFullException extends IOException {
  public SpoolFullException(String message) {
    super(message);
  }

  public SpoolFullException(String message, Throwable cause) {
    super(message, cause);
  }
}

package dev.runway.cli.credentials;

import dev.runway.cli.UsageException;

/**
 * The App credentials cannot be assembled: no App id, no private key, or a key source that could
 * not be read. The message is one line naming the source that was tried, never the key.
 */
final class CredentialsException extends UsageException {
  private static final long serialVersionUID = 1L;

  CredentialsException(String message) {
    super(message);
  }
}

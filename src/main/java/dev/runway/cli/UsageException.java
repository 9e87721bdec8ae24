package dev.runway.cli;

/** The command line asks for something that cannot be done as asked: exit code 2. */
public class UsageException extends RuntimeException {
  private static final long serialVersionUID = 1L;

  public UsageException(String message) {
    super(message);
  }
}

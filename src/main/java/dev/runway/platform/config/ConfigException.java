package dev.runway.platform.config;

/** A configuration value is missing or invalid; the message names the variable. */
public final class ConfigException extends RuntimeException {
  public ConfigException(String variable, String problem) {
    super(variable + ": " + problem);
  }
}

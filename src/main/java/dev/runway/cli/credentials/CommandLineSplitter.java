package dev.runway.cli.credentials;

import java.util.ArrayList;
import java.util.List;

/**
 * Splits a command line into argv the way a POSIX shell would for simple cases, so that {@code
 * --private-key-command 'op read "op://vault/my item/key.pem"'} runs without a shell: whitespace
 * separates words, single quotes keep everything literal, double quotes keep whitespace and honour
 * {@code \"} and {@code \\}, and a backslash outside quotes escapes the next character. No
 * variables, globs, pipes or redirections: those would need a shell, which is what we avoid.
 */
final class CommandLineSplitter {

  private CommandLineSplitter() {}

  static List<String> split(String commandLine) {
    List<String> words = new ArrayList<>();
    StringBuilder word = new StringBuilder();
    boolean inWord = false;
    char quote = 0;
    for (int i = 0; i < commandLine.length(); i++) {
      char c = commandLine.charAt(i);
      if (quote == '\'') {
        if (c == '\'') {
          quote = 0;
        } else {
          word.append(c);
        }
      } else if (quote == '"') {
        if (c == '"') {
          quote = 0;
        } else if (c == '\\'
            && i + 1 < commandLine.length()
            && "\"\\".indexOf(commandLine.charAt(i + 1)) >= 0) {
          word.append(commandLine.charAt(++i));
        } else {
          word.append(c);
        }
      } else if (Character.isWhitespace(c)) {
        if (inWord) {
          words.add(word.toString());
          word.setLength(0);
          inWord = false;
        }
      } else {
        inWord = true;
        if (c == '\'' || c == '"') {
          quote = c;
        } else if (c == '\\' && i + 1 < commandLine.length()) {
          word.append(commandLine.charAt(++i));
        } else {
          word.append(c);
        }
      }
    }
    if (quote != 0) {
      throw new IllegalArgumentException("unterminated " + quote + " quote");
    }
    if (inWord) {
      words.add(word.toString());
    }
    return words;
  }
}

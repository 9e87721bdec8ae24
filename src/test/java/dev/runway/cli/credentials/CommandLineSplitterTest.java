package dev.runway.cli.credentials;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import org.junit.jupiter.api.Test;

class CommandLineSplitterTest {

  @Test
  void splits_on_whitespace() {
    assertThat(CommandLineSplitter.split("  op read   op://vault/item/key.pem "))
        .containsExactly("op", "read", "op://vault/item/key.pem");
  }

  @Test
  void quotes_keep_spaces_and_nothing_is_expanded() {
    assertThat(CommandLineSplitter.split("op read 'op://vault/my item/key.pem' \"$HOME\" a\\ b"))
        .containsExactly("op", "read", "op://vault/my item/key.pem", "$HOME", "a b");
  }

  @Test
  void shell_operators_are_plain_words() {
    assertThat(CommandLineSplitter.split("cat key.pem | tee x; rm -rf /"))
        .containsExactly("cat", "key.pem", "|", "tee", "x;", "rm", "-rf", "/");
  }

  @Test
  void escaped_quotes_inside_double_quotes_and_empty_words() {
    assertThat(CommandLineSplitter.split("echo \"say \\\"hi\\\"\" ''"))
        .containsExactly("echo", "say \"hi\"", "");
  }

  @Test
  void an_unterminated_quote_is_refused() {
    assertThatThrownBy(() -> CommandLineSplitter.split("op read 'oops"))
        .isInstanceOf(IllegalArgumentException.class)
        .hasMessageContaining("unterminated");
  }
}

package dev.runway.platform.github;

import java.net.URI;
import java.net.URLDecoder;
import java.nio.charset.StandardCharsets;
import java.util.Optional;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * Reads the {@code rel="next"} page (its {@code cursor} or {@code page}) from a {@code Link}
 * header.
 */
final class LinkHeader {

  private static final Pattern LINK = Pattern.compile("<([^>]*)>\\s*((?:;\\s*[^;,]*)*)");
  private static final Pattern REL_NEXT =
      Pattern.compile(";\\s*rel\\s*=\\s*\"?([^\";]*)\"?", Pattern.CASE_INSENSITIVE);

  private LinkHeader() {}

  static Optional<String> nextCursor(String header) {
    return next(header, "cursor");
  }

  /** The {@code page} number of the next page, for the lists GitHub pages by number; 0 if none. */
  static int nextPage(String header) {
    try {
      return next(header, "page").map(Integer::parseInt).filter(p -> p > 0).orElse(0);
    } catch (NumberFormatException e) {
      return 0;
    }
  }

  private static Optional<String> next(String header, String parameter) {
    if (header == null || header.isBlank()) {
      return Optional.empty();
    }
    Matcher link = LINK.matcher(header);
    while (link.find()) {
      if (isNext(link.group(2))) {
        return queryParameter(link.group(1), parameter);
      }
    }
    return Optional.empty();
  }

  private static boolean isNext(String params) {
    Matcher rel = REL_NEXT.matcher(params);
    while (rel.find()) {
      for (String value : rel.group(1).trim().split("\\s+")) {
        if (value.equalsIgnoreCase("next")) {
          return true;
        }
      }
    }
    return false;
  }

  private static Optional<String> queryParameter(String url, String name) {
    String query;
    try {
      query = URI.create(url.trim()).getRawQuery();
    } catch (IllegalArgumentException e) {
      return Optional.empty();
    }
    if (query == null) {
      return Optional.empty();
    }
    for (String pair : query.split("&")) {
      int eq = pair.indexOf('=');
      String key = eq < 0 ? pair : pair.substring(0, eq);
      if (URLDecoder.decode(key, StandardCharsets.UTF_8).equals(name) && eq >= 0) {
        return Optional.of(URLDecoder.decode(pair.substring(eq + 1), StandardCharsets.UTF_8));
      }
    }
    return Optional.empty();
  }
}

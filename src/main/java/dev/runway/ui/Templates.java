package dev.runway.ui;

import gg.jte.ContentType;
import gg.jte.TemplateEngine;
import gg.jte.output.StringOutput;
import java.io.IOException;
import java.io.InputStream;
import java.io.UncheckedIOException;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;

/**
 * The UI's precompiled templates (generated from {@code src/main/jte} at build time, so nothing is
 * compiled at run time) and its few static assets. The content type is HTML: every {@code ${...}}
 * is escaped for where it stands (text, attribute, script), and no template uses {@code $unsafe}.
 */
final class Templates {
  private final TemplateEngine engine = TemplateEngine.createPrecompiled(ContentType.Html);

  String render(String template, Object model) {
    StringOutput out = new StringOutput();
    engine.render(template, model, out);
    return out.toString();
  }

  /** A static file: its bytes and content type. */
  record Asset(byte[] bytes, String contentType) {}

  /** The assets by the name the pages use; nothing else on the classpath can be fetched. */
  private static final Map<String, String[]> ASSETS =
      Map.of(
          "ui.css", new String[] {"/ui/ui.css", "text/css; charset=utf-8"},
          "ui.js", new String[] {"/ui/ui.js", "text/javascript; charset=utf-8"},
          "uplot.js",
              new String[] {
                "/META-INF/resources/webjars/uplot/1.6.30/dist/uPlot.iife.min.js",
                "text/javascript; charset=utf-8"
              },
          "uplot.css",
              new String[] {
                "/META-INF/resources/webjars/uplot/1.6.30/dist/uPlot.min.css",
                "text/css; charset=utf-8"
              });

  private final Map<String, Asset> loaded = new ConcurrentHashMap<>();

  Asset asset(String name) {
    String[] where = ASSETS.get(name);
    if (where == null) {
      return null;
    }
    return loaded.computeIfAbsent(
        name,
        n -> {
          try (InputStream in = Templates.class.getResourceAsStream(where[0])) {
            if (in == null) {
              throw new IllegalStateException("asset missing from the jar: " + where[0]);
            }
            return new Asset(in.readAllBytes(), where[1]);
          } catch (IOException e) {
            throw new UncheckedIOException(e);
          }
        });
  }
}

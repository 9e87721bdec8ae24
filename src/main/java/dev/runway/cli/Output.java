package dev.runway.cli;

import java.io.PrintWriter;
import java.util.ArrayList;
import java.util.List;

/**
 * The one text-table printer of every command: aligned columns for people; JSON output goes through
 * Jackson instead.
 */
public final class Output {
  private Output() {}

  /**
   * Prints {@code rows} under {@code header}, each column as wide as its widest cell. A null cell
   * prints as {@code -}; the last column is not padded and no line ends in whitespace.
   */
  public static void table(PrintWriter out, List<String> header, List<? extends List<?>> rows) {
    List<List<String>> all = new ArrayList<>();
    all.add(List.copyOf(header));
    for (List<?> row : rows) {
      all.add(row.stream().map(c -> c == null ? "-" : String.valueOf(c)).toList());
    }
    int[] width = new int[header.size()];
    for (List<String> r : all) {
      for (int i = 0; i < r.size(); i++) {
        width[i] = Math.max(width[i], r.get(i).length());
      }
    }
    for (List<String> r : all) {
      StringBuilder sb = new StringBuilder();
      for (int i = 0; i < r.size(); i++) {
        String cell = r.get(i);
        sb.append(cell);
        if (i < r.size() - 1) {
          sb.append(" ".repeat(width[i] - cell.length() + 2));
        }
      }
      out.println(sb.toString().stripTrailing());
    }
    out.flush();
  }
}

package dev.arbor.internal;

import java.util.Collection;
import java.util.Map;

/**
 * Writes JSON from maps (objects, in their iteration order), collections (arrays), strings,
 * numbers, booleans and {@code null}; anything else is written as its {@code toString()}. Enough
 * for diagnostics; there is no parser.
 */
public final class Json {
  private Json() {}

  /** {@code value} as indented JSON text (two spaces). */
  public static String write(Object value) {
    StringBuilder sb = new StringBuilder();
    write(sb, value, 0);
    return sb.append('\n').toString();
  }

  private static void write(StringBuilder sb, Object v, int depth) {
    switch (v) {
      case null -> sb.append("null");
      case Boolean b -> sb.append(b);
      case Integer i -> sb.append(i);
      case Long l -> sb.append(l);
      case Number n -> sb.append(Double.isFinite(n.doubleValue()) ? n.toString() : "null");
      case Map<?, ?> m -> {
        if (m.isEmpty()) {
          sb.append("{}");
          return;
        }
        sb.append('{');
        String sep = "\n";
        for (var e : m.entrySet()) {
          sb.append(sep).append("  ".repeat(depth + 1));
          string(sb, String.valueOf(e.getKey()));
          sb.append(": ");
          write(sb, e.getValue(), depth + 1);
          sep = ",\n";
        }
        sb.append('\n').append("  ".repeat(depth)).append('}');
      }
      case Collection<?> c -> {
        if (c.isEmpty()) {
          sb.append("[]");
          return;
        }
        sb.append('[');
        String sep = "\n";
        for (Object x : c) {
          sb.append(sep).append("  ".repeat(depth + 1));
          write(sb, x, depth + 1);
          sep = ",\n";
        }
        sb.append('\n').append("  ".repeat(depth)).append(']');
      }
      default -> string(sb, v.toString());
    }
  }

  private static void string(StringBuilder sb, String s) {
    sb.append('"');
    for (int i = 0; i < s.length(); i++) {
      char c = s.charAt(i);
      switch (c) {
        case '"' -> sb.append("\\\"");
        case '\\' -> sb.append("\\\\");
        case '\n' -> sb.append("\\n");
        case '\r' -> sb.append("\\r");
        case '\t' -> sb.append("\\t");
        default -> {
          if (c < 0x20) {
            sb.append(String.format("\\u%04x", (int) c));
          } else {
            sb.append(c);
          }
        }
      }
    }
    sb.append('"');
  }
}

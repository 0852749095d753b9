package dev.arbor.tree;

import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Objects;

/**
 * The position of a subtree inside a tree: a sequence of entries, each a field (or record
 * component) name, a list/array index, or a map key. Renders like {@code .encoder.layers[2].w} or
 * {@code ['bias']}; the root renders as the empty string.
 *
 * <p>Immutable, with value {@code equals}/{@code hashCode}; thread-safe. Build one with {@link
 * #root()} and the appending methods, or {@link #parse(String)}:
 *
 * {@snippet :
 * KeyPath p = KeyPath.root().field("encoder").field("layers").index(2).field("w");
 * p.toString();                                   // ".encoder.layers[2].w"
 * p.equals(KeyPath.parse(".encoder.layers[2].w")); // true
 * }
 *
 * <p>{@code API.md} lists {@code KeyPath} as an interface; it is a final value class so that
 * equality is well defined. Code that only calls {@code toString()} is unaffected.
 */
public final class KeyPath {

  /** One step of a key path. */
  public sealed interface Entry permits Field, Index, MapKey {}

  /**
   * A field or record component name; renders as {@code .name}.
   *
   * @param name the name, non-null
   */
  public record Field(String name) implements Entry {
    /** Checks that the name is not null. */
    public Field {
      Objects.requireNonNull(name, "name");
    }

    @Override
    public String toString() {
      return "." + name;
    }
  }

  /**
   * A position in a list, an array or another sequence-like node; renders as {@code [2]}.
   *
   * @param index the position, {@code >= 0}
   */
  public record Index(int index) implements Entry {
    /** Checks that the index is not negative. */
    public Index {
      if (index < 0) {
        throw new IllegalArgumentException("a key path index must be >= 0, got " + index);
      }
    }

    @Override
    public String toString() {
      return "[" + index + "]";
    }
  }

  /**
   * A map key; a {@code String} renders as {@code ['bias']}, anything else as {@code [key]}.
   *
   * @param key the key, non-null
   */
  public record MapKey(Object key) implements Entry {
    /** Checks that the key is not null. */
    public MapKey {
      Objects.requireNonNull(key, "key");
    }

    @Override
    public String toString() {
      if (key instanceof String s) {
        return "['" + s.replace("\\", "\\\\").replace("'", "\\'") + "']";
      }
      return "[" + key + "]";
    }
  }

  private static final KeyPath ROOT = new KeyPath(new Entry[0]);

  private final Entry[] entries;
  private int hash;

  private KeyPath(Entry[] entries) {
    this.entries = entries;
  }

  /** The empty path, which names the whole tree. */
  public static KeyPath root() {
    return ROOT;
  }

  /** A path made of these entries, in order. */
  public static KeyPath of(Entry... entries) {
    Entry[] copy = entries.clone();
    for (Entry e : copy) {
      Objects.requireNonNull(e, "key path entry");
    }
    return copy.length == 0 ? ROOT : new KeyPath(copy);
  }

  /** A path made of these entries, in order. */
  public static KeyPath of(List<? extends Entry> entries) {
    return of(entries.toArray(new Entry[0]));
  }

  /**
   * Parses the rendered form: a sequence of {@code .name}, {@code [index]} and {@code ['key']}
   * (single or double quotes; backslash escapes the quote). The empty string is the root.
   *
   * @throws IllegalArgumentException if {@code text} is not a rendered key path
   */
  public static KeyPath parse(String text) {
    List<Entry> out = new ArrayList<>();
    int i = 0;
    int n = text.length();
    while (i < n) {
      char c = text.charAt(i);
      if (c == '.') {
        int j = i + 1;
        while (j < n && text.charAt(j) != '.' && text.charAt(j) != '[') {
          j++;
        }
        if (j == i + 1) {
          throw parseError(text, i, "a field name after '.'");
        }
        out.add(new Field(text.substring(i + 1, j)));
        i = j;
      } else if (c == '[') {
        if (i + 1 < n && (text.charAt(i + 1) == '\'' || text.charAt(i + 1) == '"')) {
          char quote = text.charAt(i + 1);
          StringBuilder key = new StringBuilder();
          int j = i + 2;
          while (j < n && text.charAt(j) != quote) {
            if (text.charAt(j) == '\\' && j + 1 < n) {
              j++;
            }
            key.append(text.charAt(j));
            j++;
          }
          if (j + 1 >= n || text.charAt(j + 1) != ']') {
            throw parseError(text, i, "a closing " + quote + "]");
          }
          out.add(new MapKey(key.toString()));
          i = j + 2;
        } else {
          int close = text.indexOf(']', i);
          if (close < 0) {
            throw parseError(text, i, "a closing ']'");
          }
          try {
            out.add(new Index(Integer.parseInt(text.substring(i + 1, close).trim())));
          } catch (NumberFormatException e) {
            throw parseError(text, i, "an index like [2] or a quoted key like ['bias']");
          }
          i = close + 1;
        }
      } else {
        throw parseError(text, i, "'.' or '['");
      }
    }
    return of(out);
  }

  private static IllegalArgumentException parseError(String text, int at, String expected) {
    return new IllegalArgumentException(
        "cannot parse key path \""
            + text
            + "\": expected "
            + expected
            + " at position "
            + at
            + " (key paths look like .encoder.layers[2].w or ['bias'])");
  }

  /** This path followed by a field entry. */
  public KeyPath field(String name) {
    return append(new Field(name));
  }

  /** This path followed by an index entry. */
  public KeyPath index(int index) {
    return append(new Index(index));
  }

  /** This path followed by a map-key entry. */
  public KeyPath key(Object key) {
    return append(new MapKey(key));
  }

  /** This path followed by one entry. */
  public KeyPath append(Entry entry) {
    Objects.requireNonNull(entry, "entry");
    Entry[] copy = Arrays.copyOf(entries, entries.length + 1);
    copy[entries.length] = entry;
    return new KeyPath(copy);
  }

  /** This path followed by all of {@code suffix}. */
  public KeyPath append(KeyPath suffix) {
    if (suffix.entries.length == 0) {
      return this;
    }
    if (entries.length == 0) {
      return suffix;
    }
    Entry[] copy = Arrays.copyOf(entries, entries.length + suffix.entries.length);
    System.arraycopy(suffix.entries, 0, copy, entries.length, suffix.entries.length);
    return new KeyPath(copy);
  }

  /** The entries, in order; an unmodifiable list. */
  public List<Entry> entries() {
    return List.of(entries);
  }

  /** The number of entries; 0 for the root. */
  public int size() {
    return entries.length;
  }

  /** Whether this is the root (no entries). */
  public boolean isRoot() {
    return entries.length == 0;
  }

  Entry entry(int i) {
    return entries[i];
  }

  /** The path from entry {@code from} on. */
  KeyPath suffix(int from) {
    return from == 0 ? this : of(Arrays.copyOfRange(entries, from, entries.length));
  }

  /** The rendered path, e.g. {@code .encoder.layers[2].w}; empty for the root. */
  @Override
  public String toString() {
    StringBuilder b = new StringBuilder();
    for (Entry e : entries) {
      b.append(e);
    }
    return b.toString();
  }

  /** Like {@link #toString()}, but says "the root" for the empty path (for messages). */
  String describe() {
    return entries.length == 0 ? "the root" : toString();
  }

  @Override
  public boolean equals(Object o) {
    return o instanceof KeyPath k && Arrays.equals(entries, k.entries);
  }

  @Override
  public int hashCode() {
    int h = hash;
    if (h == 0) {
      h = Arrays.hashCode(entries);
      hash = h;
    }
    return h;
  }
}

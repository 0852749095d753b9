package dev.arbor.examples;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import java.util.stream.Stream;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.MethodSource;

/**
 * Docs compile: every code block in {@code docs/} that is preceded by {@code <!-- snippet:
 * FILE#REGION -->} must equal the lines between {@code // REGION-begin} and {@code // REGION-end}
 * in FILE (an example that CI compiles and runs), up to common indentation.
 */
class DocsSnippetsTest {
  static final Path ROOT = Path.of("").toAbsolutePath().getParent();
  static final Pattern SNIPPET =
      Pattern.compile("<!-- snippet: (\\S+)#(\\S+) -->\\s*\\n```java\\n(.*?)```", Pattern.DOTALL);

  record Snippet(String doc, String file, String region, String text) {
    @Override
    public String toString() {
      return doc + " <- " + file + "#" + region;
    }
  }

  static Stream<Snippet> snippets() throws IOException {
    List<Snippet> out = new ArrayList<>();
    for (String doc : List.of("docs/nn.md", "docs/quickstart.md")) {
      Matcher m = SNIPPET.matcher(Files.readString(ROOT.resolve(doc)));
      while (m.find()) {
        out.add(new Snippet(doc, m.group(1), m.group(2), m.group(3)));
      }
    }
    assertTrue(out.size() >= 6, "the docs' snippets were found: " + out);
    return out.stream();
  }

  static String region(Path file, String name) throws IOException {
    List<String> lines = Files.readAllLines(file);
    int begin = -1;
    int end = -1;
    for (int i = 0; i < lines.size(); i++) {
      String t = lines.get(i).strip();
      if (t.equals("// " + name + "-begin")) {
        begin = i + 1;
      } else if (t.equals("// " + name + "-end")) {
        end = i;
      }
    }
    assertTrue(begin > 0 && end >= begin, "region " + name + " in " + file);
    return dedent(lines.subList(begin, end));
  }

  static String dedent(List<String> lines) {
    List<String> body = new ArrayList<>(lines);
    while (!body.isEmpty() && body.get(body.size() - 1).isBlank()) {
      body.remove(body.size() - 1);
    }
    int indent = Integer.MAX_VALUE;
    for (String l : body) {
      if (!l.isBlank()) {
        indent = Math.min(indent, l.length() - l.stripLeading().length());
      }
    }
    StringBuilder b = new StringBuilder();
    for (String l : body) {
      b.append(l.isBlank() ? "" : l.substring(indent)).append('\n');
    }
    return b.toString();
  }

  @ParameterizedTest(name = "{0}")
  @MethodSource("snippets")
  void docSnippetsAreCopiesOfCompiledExamples(Snippet s) throws IOException {
    String expected = region(ROOT.resolve(s.file()), s.region());
    assertEquals(expected, dedent(s.text().lines().toList()), s.toString());
  }
}

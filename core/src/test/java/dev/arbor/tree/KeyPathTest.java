package dev.arbor.tree;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.List;
import org.junit.jupiter.api.Test;

class KeyPathTest {

  @Test
  void rendersFieldsIndicesAndKeys() {
    KeyPath p = KeyPath.root().field("encoder").field("layers").index(2).field("w");
    assertEquals(".encoder.layers[2].w", p.toString());
    assertEquals("['bias']", KeyPath.root().key("bias").toString());
    assertEquals("[3]", KeyPath.root().key(3).toString());
    assertEquals("['it\\'s']", KeyPath.root().key("it's").toString());
    assertEquals("", KeyPath.root().toString());
    assertTrue(KeyPath.root().isRoot());
    assertEquals(4, p.size());
  }

  @Test
  void isAnImmutableValue() {
    KeyPath a = KeyPath.root().field("w");
    KeyPath b = KeyPath.of(new KeyPath.Field("w"));
    assertEquals(a, b);
    assertEquals(a.hashCode(), b.hashCode());
    assertNotEquals(a, KeyPath.root().key("w"));
    KeyPath longer = a.index(0);
    assertEquals(".w", a.toString(), "appending does not change the original");
    assertEquals(List.of(new KeyPath.Field("w"), new KeyPath.Index(0)), longer.entries());
    assertThrows(UnsupportedOperationException.class, () -> longer.entries().clear());
    assertEquals(longer, a.append(KeyPath.root().index(0)));
  }

  @Test
  void parsesWhatItRenders() {
    for (KeyPath p :
        List.of(
            KeyPath.root(),
            KeyPath.root().field("encoder").field("layers").index(2).field("w"),
            KeyPath.root().key("bias").index(0),
            KeyPath.root().key("odd ' [key].").field("x"))) {
      assertEquals(p, KeyPath.parse(p.toString()), p.toString());
    }
    assertEquals(KeyPath.root().key("k"), KeyPath.parse("[\"k\"]"));
  }

  @Test
  void badInputTeaches() {
    var e = assertThrows(IllegalArgumentException.class, () -> KeyPath.parse("encoder.w"));
    assertTrue(e.getMessage().contains("look like .encoder.layers[2].w"), e.getMessage());
    assertThrows(IllegalArgumentException.class, () -> KeyPath.parse("[x]"));
    assertThrows(IllegalArgumentException.class, () -> KeyPath.parse("['open"));
    assertThrows(IllegalArgumentException.class, () -> KeyPath.parse(".a..b"));
    assertThrows(IllegalArgumentException.class, () -> new KeyPath.Index(-1));
  }
}

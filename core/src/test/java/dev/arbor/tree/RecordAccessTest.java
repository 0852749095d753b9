package dev.arbor.tree;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;

/**
 * The generated record access ({@link RecordAccess}) agrees with the reflective path: same reads,
 * same constructor calls, same errors; and warm record kinds (past the generation threshold) keep
 * every flatten/unflatten result.
 */
class RecordAccessTest {

  record Mixed(Object w, int units, double scale, @Static String name, List<Object> rest) {}

  private record Hidden(Object a, long b) {}

  record Generic<T>(T value, Map<String, T> byName) {}

  record Positive(Object w, int n) {
    Positive {
      if (n <= 0) {
        throw new IllegalArgumentException("n must be positive, got " + n);
      }
    }
  }

  record Empty() {}

  @Test
  void readsEveryComponentAndCallsTheCanonicalConstructor() {
    RecordAccess access = RecordAccess.generate(Mixed.class);
    assertNotNull(access, "records in an unnamed module get generated access");
    Mixed m = new Mixed("w", 3, 0.5, "dense", List.of(1, 2));
    Object[] out = new Object[5];
    access.reader().accept(m, out);
    assertArrayEquals(new Object[] {"w", 3, 0.5, "dense", List.of(1, 2)}, out);
    assertEquals(m, access.constructor().apply(out));
  }

  @Test
  void privateRecordsAndGenericRecordsWork() {
    RecordAccess hidden = RecordAccess.generate(Hidden.class);
    assertNotNull(hidden);
    Object[] out = new Object[2];
    hidden.reader().accept(new Hidden("x", 7L), out);
    assertArrayEquals(new Object[] {"x", 7L}, out);
    assertEquals(new Hidden("x", 7L), hidden.constructor().apply(out));

    RecordAccess generic = RecordAccess.generate(Generic.class);
    assertNotNull(generic);
    Generic<String> g = new Generic<>("v", Map.of("k", "v"));
    Object[] values = new Object[2];
    generic.reader().accept(g, values);
    assertEquals(g, generic.constructor().apply(values));
    assertNotNull(RecordAccess.generate(Empty.class));
  }

  @Test
  void wrongValuesFailLikeTheMethodHandlePath() {
    RecordAccess access = RecordAccess.generate(Mixed.class);
    assertThrows(
        NullPointerException.class,
        () -> access.constructor().apply(new Object[] {"w", null, 0.5, "n", List.of()}));
    assertThrows(
        ClassCastException.class,
        () -> access.constructor().apply(new Object[] {"w", 1, 0.5, "n", "not a list"}));
  }

  @Test
  void warmKindsKeepResultsAndErrors() {
    // Past ReflectiveKind's threshold the generated access is used; results must not change.
    Trees.Flat first = null;
    for (int i = 0; i < 300; i++) {
      // Strings and primitives are aux data; boxed numbers in Object components are leaves.
      Mixed m = new Mixed(10 * i, 3, 0.5, "dense", List.of(i, new Hidden(-i, 7L)));
      Trees.Flat flat = Trees.flatten(m);
      assertEquals(List.of(10 * i, i, -i), flat.leaves());
      assertEquals(m, Trees.unflatten(flat.treeDef(), flat.leaves()));
      if (first == null) {
        first = flat;
      }
      assertEquals(first.treeDef(), flat.treeDef());
    }
    for (int i = 0; i < 300; i++) {
      Trees.Flat flat = Trees.flatten(new Positive(i, 1 + i));
      assertEquals(new Positive(i, 1 + i), Trees.unflatten(flat.treeDef(), flat.leaves()));
    }
    TreeDef def = Trees.structure(new Positive(1.5, 5));
    assertEquals(new Positive("v", 5), Trees.unflatten(def, List.of("v")));
    IllegalArgumentException e =
        assertThrows(
            IllegalArgumentException.class,
            () -> Trees.unflatten(Trees.structure(new Generic<>(1, Map.of())), List.of()));
    assertTrue(e.getMessage().contains("expected 1 leaves"), e.getMessage());
  }

  @Test
  void constructorRejectionNamesTheComponentsWhenWarm() {
    record Checked(Object w) {
      Checked {
        if ("bad".equals(w)) {
          throw new IllegalArgumentException("w must not be bad");
        }
      }
    }
    TreeDef def = null;
    for (int i = 0; i < 300; i++) {
      def = Trees.structure(new Checked(i));
      assertEquals(new Checked(i), Trees.unflatten(def, List.of(i)));
    }
    TreeDef d = def;
    IllegalArgumentException e =
        assertThrows(IllegalArgumentException.class, () -> Trees.unflatten(d, List.of("bad")));
    assertTrue(e.getMessage().contains("w must not be bad"), e.getMessage());
    assertTrue(e.getMessage().contains("w=String"), e.getMessage());
  }
}

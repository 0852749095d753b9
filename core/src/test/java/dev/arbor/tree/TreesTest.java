package dev.arbor.tree;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertInstanceOf;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertSame;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.arbor.module.Module;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.LinkedList;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.TreeMap;
import java.util.function.Function;
import org.junit.jupiter.api.Test;

class TreesTest {

  record Dense(Object w, Object b) {}

  record Layer(Dense dense, @Static String activation, int units) {}

  @Leaf
  record Spec(int rank, String name) {}

  @Leaf
  interface Value {}

  record Scalar(double v) implements Value {}

  enum Mode {
    TRAIN,
    EVAL
  }

  @PytreeNode
  static class Box {
    final Object content;
    final double scale;
    @Static final Object tag;
    transient Object cache;

    Box() {
      this(null, 0, null);
    }

    Box(Object content, double scale, Object tag) {
      this.content = content;
      this.scale = scale;
      this.tag = tag;
    }
  }

  static final class SubBox extends Box {
    final Object extra;

    private SubBox() {
      extra = null;
    }

    SubBox(Object content, Object extra) {
      super(content, 1, "sub");
      this.extra = extra;
    }
  }

  static final class Linear implements Module<Double, Double> {
    final Double weight;
    final Mode mode;
    final Function<Double, Double> activation;

    private Linear() {
      this(null, null, null);
    }

    Linear(Double weight, Mode mode, Function<Double, Double> activation) {
      this.weight = weight;
      this.mode = mode;
      this.activation = activation;
    }

    @Override
    public Double call(Double x) {
      return activation.apply(weight * x);
    }
  }

  record Positive(double aux, Object value) {
    Positive {
      if (value instanceof Double d && d < 0) {
        throw new IllegalArgumentException("value must be >= 0, got " + d);
      }
    }
  }

  @Test
  void flattensRecordsListsAndMapsInOrder() {
    Object tree = Map.of("b", List.of(1.0, 2.0), "a", new Dense(3.0, 4.0));
    Trees.Flat flat = Trees.flatten(tree);
    assertEquals(List.of(3.0, 4.0, 1.0, 2.0), flat.leaves());
    assertEquals(4, flat.treeDef().numLeaves());
    assertEquals("Map{'a': Record Dense{w: *, b: *}, 'b': List[*, *]}", flat.treeDef().toString());
    Object back = flat.treeDef().unflatten(flat.leaves());
    assertEquals(tree, back);
  }

  @Test
  void recordStaticAndPrimitiveComponentsAreAux() {
    Layer layer = new Layer(new Dense(1.0, 2.0), "relu", 16);
    Trees.Flat flat = Trees.flatten(layer);
    assertEquals(List.of(1.0, 2.0), flat.leaves());
    assertEquals(
        "Record Layer{dense: Record Dense{w: *, b: *}, activation=relu, units=16}",
        flat.treeDef().toString());
    assertNotEquals(flat.treeDef(), Trees.structure(new Layer(new Dense(1.0, 2.0), "tanh", 16)));
    assertEquals(layer, Trees.unflatten(flat.treeDef(), flat.leaves()));
  }

  @Test
  void treeDefIgnoresTheConcreteListAndMapClass() {
    List<Object> a = new ArrayList<>(List.of(1, 2));
    List<Object> b = new LinkedList<>(List.of(3, 4));
    assertEquals(Trees.structure(a), Trees.structure(b));
    assertEquals(Trees.structure(a).hashCode(), Trees.structure(b).hashCode());
    assertEquals(Trees.structure(List.of(1, 2)), Trees.structure(Arrays.asList(5, 6)));
    Map<String, Object> hash = new HashMap<>(Map.of("x", 1, "y", 2));
    Map<String, Object> linked = new LinkedHashMap<>();
    linked.put("x", 3);
    linked.put("y", 4);
    assertEquals(Trees.structure(hash), Trees.structure(linked));
    assertEquals(Trees.structure(hash), Trees.structure(new TreeMap<>(hash)));
  }

  @Test
  void unorderedMapsAreSortedOrderedMapsKeepTheirOrder() {
    Map<String, Object> linked = new LinkedHashMap<>();
    linked.put("z", 1);
    linked.put("a", 2);
    assertEquals(List.of(1, 2), Trees.leaves(linked));
    assertEquals(List.of(2, 1), Trees.leaves(new HashMap<>(linked)));
    assertEquals(List.of(2, 1), Trees.leaves(Map.of("z", 1, "a", 2)));
    Map<String, Object> back = Trees.map(x -> x, linked);
    assertEquals(List.of("z", "a"), List.copyOf(back.keySet()));
    assertThrows(UnsupportedOperationException.class, () -> back.put("q", 3));
    assertEquals(List.of(10, 20), Trees.leaves(Map.of(2, 20, 1, 10)));
  }

  @Test
  void siblingMapsWithOtherKeysOrOrdersAreNotConfused() {
    Map<String, Object> linked = new LinkedHashMap<>();
    linked.put("b", 1);
    linked.put("a", 2);
    Map<String, Object> hashed = new HashMap<>(Map.of("a", 3, "b", 4));
    Map<String, Object> other = new HashMap<>(Map.of("a", 5, "c", 6));
    Map<String, Object> fewer = Map.of("a", 7);
    Object tree = List.of(hashed, linked, hashed, other, fewer, Map.of("b", 8, "a", 9));
    assertEquals(List.of(3, 4, 1, 2, 3, 4, 5, 6, 7, 9, 8), Trees.leaves(tree));
    assertEquals(
        "List[Map{'a': *, 'b': *}, Map{'b': *, 'a': *}, Map{'a': *, 'b': *}, Map{'a': *, 'c': *},"
            + " Map{'a': *}, Map{'a': *, 'b': *}]",
        Trees.structure(tree).toString());
    assertEquals(tree, Trees.map(x -> x, tree));
  }

  @Test
  void unsortableKeysTeach() {
    Map<Object, Object> mixed = new HashMap<>();
    mixed.put("a", 1);
    mixed.put(2, 2);
    var e = assertThrows(IllegalArgumentException.class, () -> Trees.flatten(mixed));
    assertTrue(e.getMessage().contains("mutually Comparable"), e.getMessage());
    assertTrue(e.getMessage().contains("LinkedHashMap"), e.getMessage());
  }

  @Test
  void unflattenedListsAreUnmodifiableAndAllowNullHoles() {
    List<Object> list = Trees.unflatten(Trees.structure(List.of(1, 2)), Arrays.asList(null, 5));
    assertEquals(Arrays.asList(null, 5), list);
    assertThrows(UnsupportedOperationException.class, () -> list.add(3));
  }

  @Test
  void arraysKeepTheirComponentType() {
    String[] tree = {"a", "b"};
    Object back = Trees.map(x -> x + "!", tree);
    assertInstanceOf(String[].class, back);
    assertEquals(List.of("a!", "b!"), List.of((String[]) back));
    assertEquals("String[][*, *]", Trees.structure(tree).toString());
    var e = assertThrows(IllegalArgumentException.class, () -> Trees.map(x -> 1, tree));
    assertTrue(e.getMessage().contains("Use a List"), e.getMessage());
    assertEquals(1, Trees.leaves(new int[] {1, 2}).size(), "primitive arrays are leaves");
    assertEquals(1, Trees.leaves(new float[] {1, 2}).size(), "primitive arrays are leaves");
  }

  @Test
  void optionalAndNull() {
    assertEquals(List.of(1), Trees.leaves(Optional.of(1)));
    assertEquals(List.of(), Trees.leaves(Optional.empty()));
    assertEquals(List.of(), Trees.leaves(null));
    assertEquals("null", Trees.structure(null).toString());
    assertEquals(0, Trees.structure(null).numLeaves());
    assertNull(Trees.unflatten(Trees.structure(null), List.of()));
    assertEquals("Optional[*]", Trees.structure(Optional.of(1)).toString());
    assertEquals(Optional.of(2), Trees.map(x -> (Integer) x + 1, Optional.of(1)));
    assertEquals(List.of(1, 2), Trees.leaves(Arrays.asList(1, null, Optional.empty(), 2)));
    assertNotEquals(Trees.structure(Optional.empty()), Trees.structure(Optional.of(1)));
  }

  @Test
  void leafAnnotationWinsOverRecordAndAppliesToSubtypes() {
    assertEquals(List.of(new Spec(2, "x")), Trees.leaves(new Spec(2, "x")));
    assertEquals(List.of(new Scalar(1)), Trees.leaves(List.of(new Scalar(1))));
    assertTrue(Trees.nodeTypeOf(Scalar.class).isEmpty());
    assertTrue(Trees.nodeTypeOf(Spec.class).isEmpty());
    assertTrue(Trees.nodeTypeOf(Dense.class).isPresent());
  }

  @Test
  void pytreeNodeFieldsAreChildrenUnlessAuxAndSubclassesAddFields() {
    Box box = new Box(List.of(1.0, 2.0), 0.5, "t");
    box.cache = "ignored";
    Trees.Flat flat = Trees.flatten(box);
    assertEquals(List.of(1.0, 2.0), flat.leaves());
    assertEquals("Node Box{content: List[*, *], scale=0.5, tag=t}", flat.treeDef().toString());
    Box back = Trees.map(x -> (Double) x * 2, box);
    assertEquals(List.of(2.0, 4.0), back.content);
    assertEquals(0.5, back.scale);
    assertEquals("t", back.tag);
    assertNull(back.cache);

    SubBox sub = new SubBox(3.0, 4.0);
    assertEquals(List.of(3.0, 4.0), Trees.leaves(sub));
    SubBox sub2 = Trees.map(x -> (Double) x + 1, sub);
    assertEquals(4.0, sub2.content);
    assertEquals(5.0, sub2.extra);
    assertEquals("sub", sub2.tag);
  }

  @Test
  void objectFieldsAreDecidedByTheirRunTimeValue() {
    assertEquals(List.of(), Trees.leaves(new Box("a string is aux", 1, null)));
    assertEquals(List.of(3), Trees.leaves(new Box(3, 1, null)));
    assertEquals(List.of(), Trees.leaves(new Box(Mode.class, 1, null)));
    assertEquals(List.of(), Trees.leaves(new Box(Mode.TRAIN, 1, null)));
    assertEquals(List.of(List.of()), List.of(Trees.leaves(new Box(List.of(), 1, null))));
    assertNotEquals(Trees.structure(new Box("a", 1, null)), Trees.structure(new Box("b", 1, null)));
    assertEquals(Trees.structure(new Box(3, 1, null)), Trees.structure(new Box(4, 1, null)));
    Function<Double, Double> f = x -> x;
    assertEquals(List.of(), Trees.leaves(new Box(f, 1, null)));
    assertEquals(
        "Node Box{content=a, scale=1.0, tag=null}",
        Trees.structure(new Box("a", 1, null)).toString());
  }

  @Test
  void modulesAreNodesAndLambdaModulesAreOpaque() {
    Function<Double, Double> relu = x -> Math.max(0, x);
    Linear linear = new Linear(2.0, Mode.TRAIN, relu);
    assertEquals(List.of(2.0), Trees.leaves(linear));
    Linear doubled = Trees.map(x -> (Double) x * 2, linear);
    assertEquals(4.0, doubled.weight);
    assertSame(relu, doubled.activation);
    assertEquals(8.0, doubled.call(2.0));
    assertTrue(
        Trees.structure(linear).toString().startsWith("Module Linear{weight: *, mode=TRAIN"));

    Module<Double, Double> lambda = x -> x + 1;
    Module<Double, Double> other = x -> x + 1;
    assertEquals(List.of(), Trees.leaves(lambda));
    assertSame(lambda, Trees.map(x -> x, lambda));
    assertEquals(Trees.structure(lambda), Trees.structure(lambda));
    assertNotEquals(Trees.structure(lambda), Trees.structure(other));
    assertEquals(List.of(2.0), Trees.leaves(List.of(lambda, linear)));
  }

  @Test
  void treeDefIsAValue() {
    TreeDef a = Trees.structure(Map.of("w", List.of(1, new Dense(2, 3))));
    TreeDef b = Trees.structure(Map.of("w", List.of(9, new Dense(8, 7))));
    assertEquals(a, b);
    assertEquals(a.hashCode(), b.hashCode());
    assertNotEquals(a, Trees.structure(Map.of("v", List.of(1, new Dense(2, 3)))));
    assertNotEquals(a, Trees.structure(Map.of("w", List.of(1, new Dense(2, List.of(3))))));
    Map<TreeDef, String> cache = new HashMap<>();
    cache.put(a, "compiled");
    assertEquals("compiled", cache.get(b));
  }

  @Test
  void unflattenWithTheWrongNumberOfLeavesSaysExpectedAndGot() {
    TreeDef def = Trees.structure(new Dense(1, 2));
    var e = assertThrows(IllegalArgumentException.class, () -> def.unflatten(List.of(1, 2, 3)));
    assertTrue(e.getMessage().contains("expected 2 leaves, got 3"), e.getMessage());
    assertTrue(e.getMessage().contains("Record Dense{w: *, b: *}"), e.getMessage());
  }

  @Test
  void aRejectingConstructorIsNamedWithItsKeyPath() {
    Object tree = Map.of("layers", List.of(new Positive(1, 1.0), new Positive(1, 2.0)));
    var e =
        assertThrows(IllegalArgumentException.class, () -> Trees.map(x -> (Double) x - 1.5, tree));
    assertTrue(e.getMessage().contains("Record Positive"), e.getMessage());
    assertTrue(e.getMessage().contains("at ['layers'][0]"), e.getMessage());
    assertTrue(e.getMessage().contains("value must be >= 0, got -0.5"), e.getMessage());
  }

  @PytreeNode
  static final class NoNoArg {
    final Object w;

    NoNoArg(Object w) {
      this.w = w;
    }
  }

  @Test
  void aClassWithoutANoArgConstructorFlattensButCannotBeRebuilt() {
    NoNoArg node = new NoNoArg(1.0);
    assertEquals(List.of(1.0), Trees.leaves(List.of(node)));
    var e = assertThrows(IllegalArgumentException.class, () -> Trees.map(x -> x, List.of(node)));
    assertTrue(e.getMessage().contains("at [0]"), e.getMessage());
    assertTrue(e.getMessage().contains("has no no-arg constructor"), e.getMessage());
    assertTrue(e.getMessage().contains("add one, or make the class a record"), e.getMessage());
  }

  @Test
  void mapOverSeveralTrees() {
    Object a = List.of(new Dense(1.0, 2.0), Map.of("k", 3.0));
    Object b = List.of(new Dense(10.0, 20.0), Map.of("k", 30.0));
    Object sum = Trees.map((x, y) -> (Double) x + (Double) y, a, b);
    assertEquals(List.of(new Dense(11.0, 22.0), Map.of("k", 33.0)), sum);
    Object three =
        Trees.mapMany(xs -> (Double) xs.get(0) * (Double) xs.get(1) - (Double) xs.get(2), a, b, a);
    assertEquals(List.of(new Dense(9.0, 38.0), Map.of("k", 87.0)), three);
  }

  @Test
  void structureMismatchNamesTheFirstDifferingPathAndBothStructures() {
    Object a = Map.of("encoder", Map.of("layers", List.of(1, 2, new Dense(1, 2))));
    Object b = Map.of("encoder", Map.of("layers", List.of(1, 2, new Dense(1, List.of(2, 3)))));
    var e = assertThrows(IllegalArgumentException.class, () -> Trees.map((x, y) -> x, a, b));
    String m = e.getMessage();
    assertTrue(m.contains("first differ at ['encoder']['layers'][2].b"), m);
    assertTrue(m.contains("tree 0 has *, tree 1 has List[*, *]"), m);
    assertTrue(m.contains("tree 0: Map{'encoder'"), m);
    assertTrue(m.contains("tree 1: Map{'encoder'"), m);

    var e2 =
        assertThrows(
            IllegalArgumentException.class,
            () -> Trees.mapMany(xs -> xs.get(0), List.of(1), List.of(1), List.of(1, 2)));
    assertTrue(e2.getMessage().contains("tree 2 does not have the structure"), e2.getMessage());
    assertTrue(e2.getMessage().contains("at the root"), e2.getMessage());
  }

  @Test
  void leavesWithPathAndMapWithPath() {
    Object tree =
        Map.of(
            "encoder",
            new Layer(new Dense(1.0, 2.0), "relu", 3),
            "bias",
            List.of(4.0, Optional.of(5.0)));
    List<String> paths = new ArrayList<>();
    for (var e : Trees.leavesWithPath(tree)) {
      paths.add(e.getKey() + "=" + e.getValue());
    }
    assertEquals(
        List.of(
            "['bias'][0]=4.0",
            "['bias'][1].value=5.0",
            "['encoder'].dense.w=1.0",
            "['encoder'].dense.b=2.0"),
        paths);
    Object named = Trees.mapWithPath((p, x) -> p.toString(), tree);
    assertEquals(
        Map.of(
            "encoder",
            new Layer(new Dense("['encoder'].dense.w", "['encoder'].dense.b"), "relu", 3),
            "bias",
            List.of("['bias'][0]", Optional.of("['bias'][1].value"))),
        named);
  }

  @Test
  void partitionAndCombine() {
    Object tree =
        Map.of("w", List.of(1.0, "frozen"), "d", new Dense(2.0, "x"), "o", Optional.of(3.0));
    Trees.Partition<Object> parts = Trees.partition(tree, x -> x instanceof Double);
    assertEquals(
        // "x" sits in a field declared Object: a String there is aux data, so both halves keep it.
        Map.of("w", Arrays.asList(1.0, null), "d", new Dense(2.0, "x"), "o", Optional.of(3.0)),
        parts.matching());
    assertEquals(
        Map.of(
            "w", Arrays.asList(null, "frozen"), "d", new Dense(null, "x"), "o", Optional.empty()),
        parts.rest());
    assertEquals(List.of(2.0, 3.0, 1.0), Trees.leaves(parts.matching())); // keys sorted: d, o, w
    assertEquals(List.of("frozen"), Trees.leaves(parts.rest()));
    assertEquals(tree, Trees.combine(parts.matching(), parts.rest()));
    assertEquals(tree, Trees.combine(parts.rest(), parts.matching()));

    var e =
        assertThrows(
            IllegalArgumentException.class,
            () -> Trees.combine(List.of(1, List.of(2)), List.of(1, Map.of("a", 2))));
    assertTrue(e.getMessage().contains("differ at [1]"), e.getMessage());
  }

  @Test
  void replaceAt() {
    Object tree =
        Map.of("encoder", Map.of("layers", List.of(new Dense(1, 2), new Dense(3, 4))), "b", 5);
    Object replaced = Trees.replaceAt(tree, KeyPath.parse("['encoder']['layers'][1].w"), 30);
    assertEquals(
        Map.of("encoder", Map.of("layers", List.of(new Dense(1, 2), new Dense(30, 4))), "b", 5),
        replaced);
    Object subtree = Trees.replaceAt(tree, KeyPath.root().key("b"), List.of(6, 7));
    assertEquals(List.of(6, 7), ((Map<?, ?>) subtree).get("b"));
    assertEquals("new", Trees.replaceAt(tree, KeyPath.root(), "new"));

    var missing =
        assertThrows(
            IllegalArgumentException.class,
            () -> Trees.replaceAt(tree, KeyPath.parse("['encoder']['layers'][1].q"), 0));
    assertTrue(missing.getMessage().contains("has no child .q"), missing.getMessage());
    assertTrue(missing.getMessage().contains("[.w, .b]"), missing.getMessage());
    var leaf =
        assertThrows(
            IllegalArgumentException.class,
            () -> Trees.replaceAt(tree, KeyPath.parse("['b'][0]"), 0));
    assertTrue(leaf.getMessage().contains("['b'] is a leaf"), leaf.getMessage());

    Map<Integer, Object> intKeys = new TreeMap<>(Map.of(1, "a", 2, "b"));
    assertEquals(Map.of(1, "a", 2, "z"), Trees.replaceAt(intKeys, KeyPath.parse("[2]"), "z"));
  }

  @Test
  void nodeTypeOfBuiltInsIsAWorkingView() {
    @SuppressWarnings("unchecked")
    var nt = (dev.arbor.tree.spi.NodeType<Object>) Trees.nodeTypeOf(Dense.class).orElseThrow();
    assertEquals(Dense.class, nt.type());
    var children = nt.flatten(new Dense(1, 2));
    assertEquals(List.of(1, 2), children.children());
    assertEquals(new Dense(3, 4), nt.unflatten(children.aux(), List.of(3, 4)));
    assertEquals("[.w, .b]", nt.keys(new Dense(1, 2)).toString());
    assertTrue(Trees.nodeTypeOf(ArrayList.class).isPresent());
    assertTrue(Trees.nodeTypeOf(Double.class).isEmpty());
    assertTrue(Trees.nodeTypeOf(String.class).isEmpty());
  }

  @Test
  void flattenWithALeafPredicate() {
    Object tree = List.of(new Dense(1, 2), List.of(3));
    Trees.Flat flat = Trees.flatten(tree, x -> x instanceof Dense);
    assertEquals(List.of(new Dense(1, 2), 3), flat.leaves());
    assertEquals("List[*, List[*]]", flat.treeDef().toString());
    Trees.Flat withNulls = Trees.flatten(Arrays.asList(1, null), x -> x == null);
    assertEquals(Arrays.asList(1, null), withNulls.leaves());
  }
}

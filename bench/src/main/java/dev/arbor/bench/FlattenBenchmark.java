package dev.arbor.bench;

import dev.arbor.tree.TreeDef;
import dev.arbor.tree.Trees;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import org.openjdk.jmh.annotations.Benchmark;
import org.openjdk.jmh.annotations.BenchmarkMode;
import org.openjdk.jmh.annotations.Fork;
import org.openjdk.jmh.annotations.Measurement;
import org.openjdk.jmh.annotations.Mode;
import org.openjdk.jmh.annotations.OutputTimeUnit;
import org.openjdk.jmh.annotations.Scope;
import org.openjdk.jmh.annotations.Setup;
import org.openjdk.jmh.annotations.State;
import org.openjdk.jmh.annotations.Warmup;

/**
 * Flatten and unflatten of a 1,000-leaf tree mixing records, lists and maps (the shape of a small
 * transformer's parameters), against a hand-written traversal of the same tree that knows its types
 * statically. Run: {@code java -jar bench/target/benchmarks.jar Flatten}.
 */
@State(Scope.Thread)
@BenchmarkMode(Mode.AverageTime)
@OutputTimeUnit(TimeUnit.MICROSECONDS)
@Warmup(iterations = 3, time = 1)
@Measurement(iterations = 5, time = 1)
// JMH 1.37 uses sun.misc.Unsafe; allow it quietly in the benchmark JVM.
@Fork(value = 1, jvmArgsAppend = "--sun-misc-unsafe-memory-access=allow")
public class FlattenBenchmark {

  /** A leaf standing in for a tensor. */
  public static final class Param {
    final float[] data;

    Param(int n) {
      data = new float[n];
    }
  }

  /** A linear layer. */
  public record Dense(Param w, Param b) {}

  /** A block: two layers and a map of norms; 6 leaves. */
  public record Block(Dense attn, Dense mlp, Map<String, Param> norms) {}

  /** The model: 166 blocks (996 leaves), {@code embed} (1), {@code head} (2), {@code scale} (1). */
  static final int BLOCKS = 166;

  Object tree;
  Trees.Flat flat;
  List<Object> handLeaves;

  @Setup
  public void setUp() {
    List<Block> blocks = new ArrayList<>();
    for (int i = 0; i < BLOCKS; i++) {
      blocks.add(
          new Block(
              new Dense(new Param(4), new Param(2)),
              new Dense(new Param(4), new Param(2)),
              Map.of("ln1", new Param(2), "ln2", new Param(2))));
    }
    tree =
        Map.of(
            "blocks",
            blocks,
            "embed",
            new Param(8),
            "head",
            new Dense(new Param(4), new Param(2)),
            "scale",
            new Param(1));
    flat = Trees.flatten(tree);
    if (flat.leaves().size() != 1000) {
      throw new AssertionError("expected 1000 leaves, got " + flat.leaves().size());
    }
    handLeaves = handFlatten(tree);
    if (!handLeaves.equals(flat.leaves())) {
      throw new AssertionError("the hand-written traversal must visit the same leaves in order");
    }
    Object rebuilt = handUnflatten(handLeaves);
    if (!Trees.structure(rebuilt).equals(flat.treeDef())) {
      throw new AssertionError("the hand-written rebuild must make the same structure");
    }
  }

  // ------------------------------------------------------------------ Arbor

  @Benchmark
  public Object arborFlattenUnflatten() {
    Trees.Flat f = Trees.flatten(tree);
    return Trees.unflatten(f.treeDef(), f.leaves());
  }

  @Benchmark
  public Trees.Flat arborFlatten() {
    return Trees.flatten(tree);
  }

  @Benchmark
  public Object arborUnflatten() {
    TreeDef def = flat.treeDef();
    return Trees.unflatten(def, flat.leaves());
  }

  // ------------------------------------------------------------------ hand-written

  @Benchmark
  public Object handFlattenUnflatten() {
    return handUnflatten(handFlatten(tree));
  }

  @Benchmark
  public List<Object> handFlatten() {
    return handFlatten(tree);
  }

  @Benchmark
  public Object handUnflatten() {
    return handUnflatten(handLeaves);
  }

  /** Leaves in Arbor's order: map keys sorted (blocks, embed, head), record components in order. */
  @SuppressWarnings("unchecked")
  static List<Object> handFlatten(Object tree) {
    Map<String, Object> model = (Map<String, Object>) tree;
    List<Object> out = new ArrayList<>(1000);
    for (Block b : (List<Block>) model.get("blocks")) {
      out.add(b.attn().w());
      out.add(b.attn().b());
      out.add(b.mlp().w());
      out.add(b.mlp().b());
      out.add(b.norms().get("ln1"));
      out.add(b.norms().get("ln2"));
    }
    out.add(model.get("embed"));
    Dense head = (Dense) model.get("head");
    out.add(head.w());
    out.add(head.b());
    out.add(model.get("scale"));
    return out;
  }

  static Object handUnflatten(List<Object> leaves) {
    int i = 0;
    List<Block> blocks = new ArrayList<>(BLOCKS);
    for (int k = 0; k < BLOCKS; k++) {
      Dense attn = new Dense((Param) leaves.get(i++), (Param) leaves.get(i++));
      Dense mlp = new Dense((Param) leaves.get(i++), (Param) leaves.get(i++));
      Map<String, Param> norms =
          Map.of("ln1", (Param) leaves.get(i++), "ln2", (Param) leaves.get(i++));
      blocks.add(new Block(attn, mlp, norms));
    }
    Param embed = (Param) leaves.get(i++);
    Dense head = new Dense((Param) leaves.get(i++), (Param) leaves.get(i++));
    Param scale = (Param) leaves.get(i);
    return Map.of("blocks", List.copyOf(blocks), "embed", embed, "head", head, "scale", scale);
  }
}

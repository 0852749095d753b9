package dev.arbor.gpu.ir;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import dev.arbor.array.DType;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import java.util.stream.Stream;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.DynamicTest;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestFactory;

/**
 * Every kernel the PTX emitter produces in the tests — the golden cases, and per element type one
 * kernel with every op the emitter accepts — is assembled by NVIDIA's {@code ptxas -arch=sm_90}
 * (the H100's architecture), which rejects malformed or ill-typed instructions. {@code ptxas} comes
 * with the CUDA toolkit (found on {@code PATH}, in {@code /usr/local/cuda/bin}, or at {@code
 * -Darbor.ptxas=PATH}); the test is skipped, saying so, where it is absent.
 */
class PtxAssemblesTest {
  static Path ptxas;

  @BeforeAll
  static void findPtxas() {
    List<Path> candidates = new ArrayList<>();
    String explicit = System.getProperty("arbor.ptxas");
    if (explicit != null) {
      candidates.add(Path.of(explicit));
    }
    for (String dir : System.getenv().getOrDefault("PATH", "").split(":")) {
      if (!dir.isEmpty()) {
        candidates.add(Path.of(dir, "ptxas"));
      }
    }
    candidates.add(Path.of("/usr/local/cuda/bin/ptxas"));
    ptxas = candidates.stream().filter(Files::isExecutable).findFirst().orElse(null);
    assumeTrue(
        ptxas != null,
        "ptxas not found (install the CUDA toolkit or pass -Darbor.ptxas=PATH): PTX not assembled");
  }

  /** Runs ptxas on {@code ptx}; returns its exit code and output. */
  static Map.Entry<Integer, String> assemble(String name, String ptx)
      throws IOException, InterruptedException {
    Path dir = Files.createTempDirectory("arbor-ptxas");
    try {
      Path src = dir.resolve(name + ".ptx");
      Files.writeString(src, ptx);
      Process p =
          new ProcessBuilder(
                  ptxas.toString(),
                  "-arch=sm_90",
                  src.toString(),
                  "-o",
                  dir.resolve(name + ".cubin").toString())
              .redirectErrorStream(true)
              .start();
      String out = new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
      if (!p.waitFor(60, TimeUnit.SECONDS)) {
        p.destroyForcibly();
        throw new AssertionError("ptxas timed out on " + name);
      }
      return Map.entry(p.exitValue(), out);
    } finally {
      try (Stream<Path> files = Files.list(dir)) {
        for (Path f : files.toList()) {
          Files.delete(f);
        }
      }
      Files.delete(dir);
    }
  }

  private static void assertAssembles(String name, String ptx) throws Exception {
    Map.Entry<Integer, String> r = assemble(name, ptx);
    assertEquals(0, r.getKey(), () -> "ptxas rejected " + name + ":\n" + r.getValue() + "\n" + ptx);
  }

  @TestFactory
  Stream<DynamicTest> goldenKernelsAssemble() {
    return KernelCases.golden().entrySet().stream()
        .map(
            e ->
                DynamicTest.dynamicTest(
                    e.getKey(), () -> assertAssembles(e.getKey(), PtxEmitter.emit(e.getValue()))));
  }

  @TestFactory
  Stream<DynamicTest> everyAcceptedOpAssemblesPerType() {
    return Stream.of(DType.values())
        .map(
            t ->
                DynamicTest.dynamicTest(
                    t.shortName(),
                    () -> {
                      List<Op> ops = KernelCases.supported(t, PtxEmitter::emit);
                      LoopKernel k = KernelCases.kernel("every_op_" + t.shortName(), t, ops);
                      assertAssembles(k.name(), PtxEmitter.emit(k));
                    }));
  }

  @TestFactory
  Stream<DynamicTest> treeReductionsAssemblePerFunctionAndType() {
    List<DynamicTest> tests = new ArrayList<>();
    for (Op.ReduceFn fn : Op.ReduceFn.values()) {
      for (DType t : DType.values()) {
        for (GpuKernel k : KernelCases.tree(fn, t)) {
          String name = k.name() + (k instanceof CombineKernel ? "_combine" : "");
          tests.add(DynamicTest.dynamicTest(name, () -> assertAssembles(name, PtxEmitter.emit(k))));
        }
      }
    }
    return tests.stream();
  }

  @TestFactory
  Stream<DynamicTest> argReductionsAssemblePerTypeAndIndex() {
    List<DynamicTest> tests = new ArrayList<>();
    for (DType t : DType.values()) {
      for (DType index : List.of(DType.I32, DType.I64)) {
        for (boolean max : new boolean[] {true, false}) {
          ArgReduceKernel k =
              new ArgReduceKernel(
                  "arg" + (max ? "max_" : "min_") + t.shortName() + "_" + index.shortName(),
                  t,
                  index,
                  max);
          tests.add(
              DynamicTest.dynamicTest(
                  k.name(), () -> assertAssembles(k.name(), PtxEmitter.emit(k))));
        }
      }
    }
    return tests.stream();
  }

  @TestFactory
  Stream<DynamicTest> gatherAndScatterAssemblePerTypeAndIndex() {
    List<DynamicTest> tests = new ArrayList<>();
    for (DType t : DType.values()) {
      for (DType index : List.of(DType.I32, DType.I64)) {
        for (boolean scatter : new boolean[] {false, true}) {
          if (scatter && t == DType.BOOL) {
            continue;
          }
          GatherKernel k =
              new GatherKernel(
                  (scatter ? "scatter_add_" : "gather_") + t.shortName() + "_" + index.shortName(),
                  t,
                  index,
                  scatter);
          tests.add(
              DynamicTest.dynamicTest(
                  k.name(), () -> assertAssembles(k.name(), PtxEmitter.emit(k))));
        }
      }
    }
    return tests.stream();
  }

  @TestFactory
  Stream<DynamicTest> scansAssemblePerTypeAndDirection() {
    List<DynamicTest> tests = new ArrayList<>();
    for (DType t : List.of(DType.F32, DType.F64, DType.I32, DType.I64)) {
      for (boolean reverse : new boolean[] {false, true}) {
        ScanKernel k = new ScanKernel("cumsum_" + reverse + "_" + t.shortName(), t, reverse);
        tests.add(
            DynamicTest.dynamicTest(k.name(), () -> assertAssembles(k.name(), PtxEmitter.emit(k))));
      }
    }
    return tests.stream();
  }

  @TestFactory
  Stream<DynamicTest> sortsAssemblePerKeyType() {
    List<DynamicTest> tests = new ArrayList<>();
    for (DType t : DType.values()) {
      for (List<DType> rest :
          List.of(List.<DType>of(), List.of(DType.I32, DType.BOOL, DType.F64))) {
        List<DType> types = new ArrayList<>();
        types.add(t);
        types.addAll(rest);
        SortKernel line = new SortKernel("sort_" + t.shortName() + "_" + rest.size(), types);
        List<SortKernel> kernels = new ArrayList<>(List.of(line.line(SortKernel.SMALL)));
        for (SortKernel.Phase phase : SortKernel.Phase.values()) {
          kernels.add(line.phase(phase));
        }
        for (SortKernel k : kernels) {
          tests.add(
              DynamicTest.dynamicTest(
                  k.name(), () -> assertAssembles(k.name(), PtxEmitter.emit(k))));
        }
      }
    }
    return tests.stream();
  }

  @TestFactory
  Stream<DynamicTest> layoutKernelsAssemble() {
    return PtxLayoutTest.cases().stream()
        .map(
            c ->
                DynamicTest.dynamicTest(
                    c.name(),
                    () -> assertAssembles("layout", PtxEmitter.emit(PtxLayoutTest.kernel(c)))));
  }

  @Test
  void ptxasCatchesABrokenKernel() throws Exception {
    // The check can fail: an instruction with a wrong operand type is rejected.
    String bad =
        PtxEmitter.emit(KernelCases.golden().get("add_f32")).replace("add.rn.f32", "add.rn.s32");
    assertNotEquals(0, assemble("broken", bad).getKey());
  }
}

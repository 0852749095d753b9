package dev.arbor.gpu.cuda;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import dev.arbor.backend.Backend;
import dev.arbor.backend.Backends;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.LinkedHashSet;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * {@link GpuChecks}, the program the GPU device script runs, exercised here where no GPU is: its
 * math, tree-reduction, SGEMM, fused-bandwidth and MLP sections run at small sizes on {@code
 * opencl} (PoCL) and must pass and write their files; on {@code cuda} without a driver it reports
 * the backend unavailable with exit status 2.
 */
class GpuChecksTest {
  @Test
  void sectionsRunAndPassOnOpenCl(@TempDir Path out) throws Exception {
    Backend b =
        Backends.all().stream().filter(x -> x.name().equals("opencl")).findFirst().orElseThrow();
    assumeTrue(b.isAvailable(), () -> "no OpenCL device: " + b.unavailableReason());
    int rc =
        new GpuChecks(out, "opencl", true)
            .run(new LinkedHashSet<>(List.of("math", "sgemm", "fused", "mlp", "indexing", "conv")));
    String summary = Files.readString(out.resolve("summary.txt"));
    assertEquals(0, rc, summary);
    assertTrue(summary.contains("ALL CHECKS PASSED"), summary);
    String results = Files.readString(out.resolve("results.jsonl"));
    for (String s : List.of("math", "sgemm", "fused", "mlp", "indexing", "conv")) {
      assertTrue(
          results.contains("\"section\":\"" + s + "\""), s + " wrote no figure:\n" + results);
    }
  }

  @Test
  void layoutTimingsRunAndAgreeOnOpenCl() {
    Backend b =
        Backends.all().stream().filter(x -> x.name().equals("opencl")).findFirst().orElseThrow();
    assumeTrue(b.isAvailable(), () -> "no OpenCL device: " + b.unavailableReason());
    List<String> lines = LayoutTimings.run(b, 64, 2);
    assertEquals(8, lines.size(), String.join("\n", lines));
    for (String l : lines) {
      assertTrue(!l.startsWith("MISMATCH"), l);
    }
  }

  @Test
  void reportsAMissingCudaDriverClearly(@TempDir Path out) throws Exception {
    Backend b =
        Backends.all().stream().filter(x -> x.name().equals("cuda")).findFirst().orElseThrow();
    assumeTrue(!b.isAvailable(), "a CUDA device is present: the real checks apply");
    int rc = new GpuChecks(out, "cuda", true).run(new LinkedHashSet<>(List.of("math")));
    assertEquals(2, rc);
    String summary = Files.readString(out.resolve("summary.txt"));
    assertTrue(summary.contains("CUDA BACKEND UNAVAILABLE: "), summary);
  }
}

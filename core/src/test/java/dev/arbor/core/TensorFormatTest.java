package dev.arbor.core;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.arbor.array.DType;
import dev.arbor.array.Tensor;
import org.junit.jupiter.api.Test;

class TensorFormatTest {
  @Test
  void printsVectorsMatricesScalarsAndDtypes() {
    assertEquals("Tensor([1.0, 2.5, -3.0], f32[3])", Tensor.of(1f, 2.5f, -3f).toString());
    assertEquals("Tensor([1, 2], i32[2])", Tensor.of(1, 2).toString());
    assertEquals("Tensor([7], i64[1])", Tensor.of(7L).toString());
    assertEquals("Tensor(0.1, f64[])", Tensor.scalar(0.1, DType.F64).toString());
    assertEquals("Tensor([true, false], bool[2])", Tensor.of(1, 0).astype(DType.BOOL).toString());
    assertEquals(
        "Tensor([[1.0, 2.0],\n        [3.0, 4.0]], f32[2,2])",
        Tensor.of(new float[][] {{1, 2}, {3, 4}}).toString());
    assertEquals(
        // Blocks of a 3-D tensor are separated by a blank line, as numpy prints them.
        "Tensor([[[0, 1],\n         [2, 3]],\n\n        [[4, 5],\n         [6, 7]]], i32[2,2,2])",
        Tensor.arange(8).reshape(2, 2, 2).toString());
    assertEquals("Tensor([], f32[0])", Tensor.zeros(0).toString());
  }

  @Test
  void truncatesLargeTensorsWithEllipses() {
    assertEquals(
        "Tensor([0, 1, 2, ..., 1997, 1998, 1999], i32[2000])", Tensor.arange(2000).toString());
    String m = Tensor.arange(1200).reshape(40, 30).toString();
    String[] lines = m.split("\n");
    assertEquals(7, lines.length, m);
    assertEquals("Tensor([[0, 1, 2, ..., 27, 28, 29],", lines[0]);
    assertEquals("        ...,", lines[3]);
    assertEquals("        [1170, 1171, 1172, ..., 1197, 1198, 1199]], i32[40,30])", lines[6]);
    // At the threshold (1000 elements) nothing is elided.
    assertTrue(!Tensor.arange(1000).toString().contains("..."));
    // 3-D: elided blocks keep numpy's blank lines around the ellipsis; no trailing spaces.
    String c = Tensor.arange(2 * 10 * 100).reshape(10, 2, 100).toString();
    assertTrue(c.contains("]],\n\n        ...,\n\n        [["), c);
    for (String line : c.split("\n")) {
      assertTrue(line.isEmpty() || !line.endsWith(" "), c);
    }
  }

  @Test
  void tracersPrintTheirAbstractValue() {
    var trace = new dev.arbor.transform.batching.BatchTrace("vmap", null, 2);
    try {
      Tensor t = trace.tracer(Tensor.zeros(2, 3), 0);
      assertEquals("Tracer<f32[3], vmap>", t.toString());
    } finally {
      trace.end();
    }
  }
}

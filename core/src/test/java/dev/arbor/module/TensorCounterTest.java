package dev.arbor.module;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertSame;

import dev.arbor.array.Tensor;
import java.util.List;
import org.junit.jupiter.api.Test;

/** STATE.md section 6 reference behaviours with tensor state. */
class TensorCounterTest {
  record Counter(Tensor count) implements Module<Tensor, Tensor> {
    @Override
    public Tensor call(Tensor x) {
      State.assign("count", count.add(1.0));
      return x.add(count);
    }
  }

  record Outer(Counter counter, Tensor scale) implements Module<Tensor, Tensor> {
    @Override
    public Tensor call(Tensor x) {
      return counter.apply(x).mul(scale);
    }
  }

  @Test
  void counterWithTensorState() {
    Counter c = new Counter(Tensor.scalar(0));
    assertEquals(1.0, c.call(Tensor.scalar(1)).item());
    Counter next = State.update(c, Tensor.scalar(1));
    assertEquals(2.0, next.call(Tensor.scalar(1)).item());
    assertEquals(1.0, c.call(Tensor.scalar(1)).item(), "the original still answers 1");
    assertEquals(List.of("count"), List.copyOf(c.variables().keySet()));
  }

  @Test
  void outerHoldsCounterAtOneWithoutWritingStateCode() {
    Tensor scale = Tensor.scalar(2);
    Outer next = State.update(new Outer(new Counter(Tensor.scalar(0)), scale), Tensor.scalar(1));
    assertEquals(1.0, next.counter().count().item());
    assertSame(scale, next.scale(), "an unassigned tensor is kept as is");
    assertEquals(List.of("counter", "scale"), List.copyOf(next.variables().keySet()));
  }
}

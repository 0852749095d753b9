package dev.arbor.core.primitives;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.arbor.array.DType;
import dev.arbor.array.Ops;
import dev.arbor.array.Tensor;
import dev.arbor.testing.RuleChecks;
import dev.arbor.transform.ad.Ad;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Random;
import java.util.function.Function;
import java.util.function.ToDoubleFunction;
import java.util.stream.Stream;
import org.junit.jupiter.api.function.Executable;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.MethodSource;

/**
 * One table of op specs drives every check of the indexing primitives and the numpy surface built
 * on them: values against a direct host computation, JVP against finite differences, VJP against
 * JVP, and vmap against a loop for several in-axes (batch sizes 3 and 1). A second table lists bad
 * inputs and what their errors must name.
 */
class IndexingTest {

  // ------------------------------------------------------------ host arrays for the oracles

  /** A host n-d array of doubles for oracles, independent of the primitives under test. */
  record Nd(int[] dims, double[] v) {
    static Nd of(Tensor t) {
      return new Nd(t.shape().dims(), t.toDoubleArray());
    }

    int offset(int... idx) {
      int p = 0;
      for (int k = 0; k < dims.length; k++) {
        if (idx[k] < 0 || idx[k] >= dims[k]) {
          throw new AssertionError("oracle index out of range");
        }
        p = p * dims[k] + idx[k];
      }
      return p;
    }

    double at(int... idx) {
      return v[offset(idx)];
    }

    int dim(int a) {
      return dims[a];
    }

    /** An array of shape {@code dims} whose element at {@code idx} is {@code f(idx)}. */
    static Nd build(int[] dims, ToDoubleFunction<int[]> f) {
      int n = 1;
      for (int d : dims) {
        n *= d;
      }
      double[] v = new double[n];
      int[] idx = new int[dims.length];
      for (int k = 0; k < n; k++) {
        Shapes.unravel(k, dims, idx);
        v[k] = f.applyAsDouble(idx.clone());
      }
      return new Nd(dims, v);
    }
  }

  static int clamp(double v, int lo, int hi) {
    return (int) Math.max(lo, Math.min(hi, v));
  }

  // ------------------------------------------------------------ input generators

  /** An input: F64 in [-1, 1), or I32 in [lo, hi). */
  record In(boolean integer, int lo, int hi, int[] dims) {
    static In f64(int... dims) {
      return new In(false, 0, 0, dims);
    }

    static In ints(int lo, int hi, int... dims) {
      return new In(true, lo, hi, dims);
    }

    /** A value, with a batch axis of {@code size} inserted at {@code axis} (none if -1). */
    Tensor make(Random rng, int axis, int size) {
      int[] d = dims;
      if (axis >= 0) {
        d = new int[dims.length + 1];
        for (int k = 0, j = 0; k < d.length; k++) {
          d[k] = k == axis ? size : dims[j++];
        }
      }
      if (!integer) {
        return RuleChecks.random(rng, -1, 1, d);
      }
      int n = 1;
      for (int x : d) {
        n *= x;
      }
      int[] v = new int[n];
      for (int k = 0; k < n; k++) {
        v[k] = lo + rng.nextInt(hi - lo);
      }
      return Tensor.of(v).reshape(d);
    }
  }

  // ------------------------------------------------------------ the table

  record Spec(
      String name,
      Function<List<Tensor>, Tensor> f,
      List<In> inputs,
      Function<List<Nd>, Nd> oracle,
      List<int[]> inAxes) {
    @Override
    public String toString() {
      return name;
    }

    List<Tensor> sample(long seed) {
      Random rng = new Random(seed);
      List<Tensor> xs = new ArrayList<>();
      for (In in : inputs) {
        xs.add(in.make(rng, -1, 0));
      }
      return xs;
    }

    Function<List<Tensor>, List<Tensor>> flat() {
      return l -> List.of(f.apply(l));
    }
  }

  static Spec spec(
      String name,
      Function<List<Tensor>, Tensor> f,
      List<In> inputs,
      Function<List<Nd>, Nd> oracle,
      int[]... inAxes) {
    return new Spec(name, f, inputs, oracle, List.of(inAxes));
  }

  static int[] ax(int... a) {
    return a;
  }

  static Nd padOracle(Nd x, double value, int[] low, int[] high, int[] interior) {
    int[] od = new int[x.dims().length];
    for (int a = 0; a < od.length; a++) {
      int n = x.dim(a);
      od[a] = low[a] + high[a] + n + Math.max(0, n - 1) * interior[a];
    }
    return Nd.build(
        od,
        o -> {
          int[] src = new int[o.length];
          for (int a = 0; a < o.length; a++) {
            int rel = o[a] - low[a];
            if (rel < 0 || rel % (interior[a] + 1) != 0 || rel / (interior[a] + 1) >= x.dim(a)) {
              return value;
            }
            src[a] = rel / (interior[a] + 1);
          }
          return x.at(src);
        });
  }

  /** Gathered shape for x = B+P1+[N]+P2 and idx = B+I. */
  static int[] gatherDims(int[] xd, int[] id, int axis, int nb) {
    int[] r = new int[xd.length - 1 + id.length - nb];
    int j = 0;
    for (int a = 0; a < axis; a++) {
      r[j++] = xd[a];
    }
    for (int a = nb; a < id.length; a++) {
      r[j++] = id[a];
    }
    for (int a = axis + 1; a < xd.length; a++) {
      r[j++] = xd[a];
    }
    return r;
  }

  /** The operand position read by gathered position {@code o}. */
  static int[] gatherSource(Nd x, Nd idx, int axis, int nb, int[] o) {
    int ni = idx.dims().length - nb;
    int[] xi = new int[x.dims().length];
    int[] ii = new int[idx.dims().length];
    for (int a = 0; a < axis; a++) {
      xi[a] = o[a];
    }
    for (int a = 0; a < nb; a++) {
      ii[a] = o[a];
    }
    for (int a = 0; a < ni; a++) {
      ii[nb + a] = o[axis + a];
    }
    for (int a = axis + 1; a < xi.length; a++) {
      xi[a] = o[a - 1 + ni];
    }
    xi[axis] = clamp(idx.at(ii), 0, x.dim(axis) - 1);
    return xi;
  }

  static Nd gatherOracle(Nd x, Nd idx, int axis, int nb) {
    return Nd.build(
        gatherDims(x.dims(), idx.dims(), axis, nb), o -> x.at(gatherSource(x, idx, axis, nb, o)));
  }

  static Nd scatterOracle(Nd x, Nd idx, Nd upd, int axis, int nb) {
    double[] r = x.v().clone();
    int[] o = new int[upd.dims().length];
    for (int k = 0; k < upd.v().length; k++) {
      Shapes.unravel(k, upd.dims(), o);
      r[x.offset(gatherSource(x, idx, axis, nb, o))] += upd.v()[k];
    }
    return new Nd(x.dims(), r);
  }

  /** The gradient of a scalar function by linearize + transpose (reverse mode). */
  static Tensor grad(Function<Tensor, Tensor> f, Tensor x) {
    Ad.Linearized lin = Ad.linearize(l -> List.of(f.apply(l.get(0))), List.of(x), "grad");
    return lin.transpose(List.of(Tensor.scalar(1.0, lin.primals().get(0).dtype()))).get(0);
  }

  static List<Tensor> scalars(List<Tensor> l, int from) {
    return l.subList(from, l.size());
  }

  static Stream<Spec> specs() {
    return Stream.of(
        // ---- primitives
        spec(
            "squeeze",
            l -> Indexing.squeeze(l.get(0), 1),
            List.of(In.f64(3, 1, 2)),
            l -> Nd.build(new int[] {3, 2}, o -> l.get(0).at(o[0], 0, o[1])),
            ax(0),
            ax(2),
            ax(3)),
        spec(
            "squeeze-two-negative",
            l -> Indexing.squeeze(l.get(0), -1, 0),
            List.of(In.f64(1, 2, 1)),
            l -> Nd.build(new int[] {2}, o -> l.get(0).at(0, o[0], 0)),
            ax(0),
            ax(1),
            ax(3)),
        spec(
            "expand_dims",
            l -> Indexing.expandDims(l.get(0), 0, 2),
            List.of(In.f64(2, 3)),
            l -> Nd.build(new int[] {1, 2, 1, 3}, o -> l.get(0).at(o[1], o[3])),
            ax(0),
            ax(1),
            ax(2)),
        spec(
            "slice-strided",
            l -> Indexing.slice(l.get(0), ax(1, 0), ax(5, 5), ax(2, 3)),
            List.of(In.f64(5, 6)),
            l -> Nd.build(new int[] {2, 2}, o -> l.get(0).at(1 + 2 * o[0], 3 * o[1])),
            ax(0),
            ax(1),
            ax(2)),
        spec(
            "pad",
            l -> Indexing.pad(l.get(0), l.get(1), ax(1, 0), ax(0, 2), ax(1, 2)),
            List.of(In.f64(2, 3), In.f64()),
            l -> padOracle(l.get(0), l.get(1).v()[0], ax(1, 0), ax(0, 2), ax(1, 2)),
            ax(0, -1),
            ax(2, -1),
            ax(-1, 0),
            ax(1, 0)),
        spec(
            "concatenate",
            l -> Indexing.concatenate(l, 1),
            List.of(In.f64(2, 3), In.f64(2, 1), In.f64(2, 2)),
            l ->
                Nd.build(
                    new int[] {2, 6},
                    o ->
                        o[1] < 3
                            ? l.get(0).at(o[0], o[1])
                            : o[1] < 4 ? l.get(1).at(o[0], 0) : l.get(2).at(o[0], o[1] - 4)),
            ax(0, 0, 0),
            ax(-1, 1, 0),
            ax(2, -1, -1)),
        spec(
            "dynamic_slice-clamped",
            l -> Indexing.dynamicSlice(l.get(0), scalars(l, 1), ax(2, 3)),
            List.of(In.f64(5, 4), In.ints(-2, 6), In.ints(-2, 6)),
            l -> {
              int s0 = clamp(l.get(1).v()[0], 0, 3);
              int s1 = clamp(l.get(2).v()[0], 0, 1);
              return Nd.build(new int[] {2, 3}, o -> l.get(0).at(s0 + o[0], s1 + o[1]));
            },
            ax(0, -1, -1),
            ax(2, -1, -1),
            ax(-1, 0, -1),
            ax(1, 0, 0),
            ax(-1, 0, 0)),
        spec(
            "dynamic_update_slice-clamped",
            l -> Indexing.dynamicUpdateSlice(l.get(0), l.get(1), scalars(l, 2)),
            List.of(In.f64(4, 5), In.f64(2, 3), In.ints(-2, 5), In.ints(-2, 5)),
            l -> {
              int s0 = clamp(l.get(2).v()[0], 0, 2);
              int s1 = clamp(l.get(3).v()[0], 0, 2);
              return Nd.build(
                  new int[] {4, 5},
                  o -> {
                    int a = o[0] - s0;
                    int b = o[1] - s1;
                    return a >= 0 && a < 2 && b >= 0 && b < 3 ? l.get(1).at(a, b) : l.get(0).at(o);
                  });
            },
            ax(0, -1, -1, -1),
            ax(-1, 1, -1, -1),
            ax(-1, -1, 0, -1),
            ax(1, 0, 0, 0),
            ax(-1, -1, -1, 0)),
        spec(
            "gather-axis1",
            l -> Indexing.gather(l.get(0), l.get(1), 1, 0),
            List.of(In.f64(3, 5, 2), In.ints(-2, 7, 2, 3)),
            l -> gatherOracle(l.get(0), l.get(1), 1, 0),
            ax(0, -1),
            ax(3, -1),
            ax(-1, 0),
            ax(-1, 2),
            ax(2, 1)),
        spec(
            "gather-batch_dims1",
            l -> Indexing.gather(l.get(0), l.get(1), 1, 1),
            List.of(In.f64(3, 4, 2), In.ints(0, 4, 3, 5)),
            l -> gatherOracle(l.get(0), l.get(1), 1, 1),
            ax(0, -1),
            ax(-1, 0),
            ax(1, 1),
            ax(3, 0)),
        spec(
            "scatter_add-repeated",
            l -> Indexing.scatterAdd(l.get(0), l.get(1), l.get(2), 0, 0),
            List.of(In.f64(4, 3), In.ints(0, 4, 6), In.f64(6, 3)),
            l -> scatterOracle(l.get(0), l.get(1), l.get(2), 0, 0),
            ax(0, -1, -1),
            ax(-1, 0, -1),
            ax(-1, -1, 2),
            ax(1, 0, 1),
            ax(0, 0, 0)),
        spec(
            "scatter_add-batch_dims1",
            l -> Indexing.scatterAdd(l.get(0), l.get(1), l.get(2), 1, 1),
            List.of(In.f64(2, 4, 3), In.ints(0, 4, 2, 5), In.f64(2, 5, 3)),
            l -> scatterOracle(l.get(0), l.get(1), l.get(2), 1, 1),
            ax(0, -1, -1),
            ax(-1, 1, -1),
            ax(-1, -1, 3),
            ax(2, 0, 1)),
        // ---- compositions: gradients (scatter_add, dynamic_update_slice) under jvp/vjp/vmap
        spec(
            "grad(sum(sin(take)))",
            l -> grad(x -> Ops.sum(Ops.sin(Ops.take(x, l.get(1), 0))), l.get(0)),
            List.of(In.f64(4, 2), In.ints(0, 4, 5)),
            l -> {
              Nd x = l.get(0);
              double[] g = new double[x.v().length];
              for (double i : l.get(1).v()) {
                for (int c = 0; c < 2; c++) {
                  g[x.offset((int) i, c)] += Math.cos(x.at((int) i, c));
                }
              }
              return new Nd(x.dims(), g);
            },
            ax(0, -1),
            ax(-1, 0),
            ax(2, 0)),
        spec(
            "grad(sum(sin(dynamic_slice)))",
            l ->
                grad(
                    x -> Ops.sum(Ops.sin(Indexing.dynamicSlice(x, scalars(l, 1), ax(2, 2)))),
                    l.get(0)),
            List.of(In.f64(4, 3), In.ints(-1, 4), In.ints(-1, 3)),
            l -> {
              Nd x = l.get(0);
              int s0 = clamp(l.get(1).v()[0], 0, 2);
              int s1 = clamp(l.get(2).v()[0], 0, 1);
              return Nd.build(
                  x.dims(),
                  o -> {
                    boolean in = o[0] >= s0 && o[0] < s0 + 2 && o[1] >= s1 && o[1] < s1 + 2;
                    return in ? Math.cos(x.at(o)) : 0;
                  });
            },
            ax(0, -1, -1),
            ax(-1, 0, 0),
            ax(1, 0, -1)),
        // ---- the numpy surface
        spec(
            "Ops.slice-negative",
            l -> Ops.slice(l.get(0), 1, -3, -1),
            List.of(In.f64(2, 5)),
            l -> Nd.build(new int[] {2, 2}, o -> l.get(0).at(o[0], 2 + o[1])),
            ax(0),
            ax(1)),
        spec(
            "Tensor.get",
            l -> l.get(0).get(1, -1),
            List.of(In.f64(3, 4, 2)),
            l -> Nd.build(new int[] {2}, o -> l.get(0).at(1, 3, o[0])),
            ax(0),
            ax(3)),
        spec(
            "Ops.pad-widths",
            l -> Ops.pad(l.get(0), new int[][] {{2, 1}}, 0.5),
            List.of(In.f64(3)),
            l -> padOracle(l.get(0), 0.5, ax(2), ax(1), ax(0)),
            ax(0),
            ax(1)),
        spec(
            "Ops.concat",
            l -> Ops.concat(0, l.get(0), l.get(1)),
            List.of(In.f64(2, 3), In.f64(1, 3)),
            l -> Nd.build(new int[] {3, 3}, o -> o[0] < 2 ? l.get(0).at(o) : l.get(1).at(0, o[1])),
            ax(0, -1),
            ax(1, 0)),
        spec(
            "Ops.stack",
            l -> Ops.stack(1, l.get(0), l.get(1)),
            List.of(In.f64(2, 3), In.f64(2, 3)),
            l -> Nd.build(new int[] {2, 2, 3}, o -> l.get(o[1]).at(o[0], o[2])),
            ax(0, 0),
            ax(-1, 2)),
        spec(
            "Ops.take-negative",
            l -> Ops.take(l.get(0), l.get(1), 0),
            List.of(In.f64(4, 3), In.ints(-4, 4, 2, 2)),
            l ->
                Nd.build(
                    new int[] {2, 2, 3},
                    o -> {
                      int i = (int) l.get(1).at(o[0], o[1]);
                      return l.get(0).at(i < 0 ? i + 4 : i, o[2]);
                    }),
            ax(0, -1),
            ax(-1, 0),
            ax(1, 1)),
        spec(
            "Ops.takeAlongAxis",
            l -> Ops.takeAlongAxis(l.get(0), l.get(1), 1),
            List.of(In.f64(3, 4), In.ints(0, 4, 3, 2)),
            l -> Nd.build(new int[] {3, 2}, o -> l.get(0).at(o[0], (int) l.get(1).at(o[0], o[1]))),
            ax(0, -1),
            ax(-1, 0),
            ax(1, 2)),
        spec(
            "Ops.takeAlongAxis-broadcast",
            l -> Ops.takeAlongAxis(l.get(0), l.get(1), 0),
            List.of(In.f64(4, 3), In.ints(0, 4, 2, 1)),
            l -> Nd.build(new int[] {2, 3}, o -> l.get(0).at((int) l.get(1).at(o[0], 0), o[1])),
            ax(0, 0),
            ax(-1, 1)),
        spec(
            "einsum-matmul",
            l -> Ops.einsum("ij,jk->ik", l.get(0), l.get(1)),
            List.of(In.f64(2, 3), In.f64(3, 4)),
            l -> einsumOracle("ij,jk->ik", l),
            ax(0, -1),
            ax(-1, 1),
            ax(1, 0)),
        spec(
            "einsum-batched",
            l -> Ops.einsum("bij,bjk->bik", l.get(0), l.get(1)),
            List.of(In.f64(2, 2, 3), In.f64(2, 3, 2)),
            l -> einsumOracle("bij,bjk->bik", l),
            ax(0, 0),
            ax(3, -1)),
        spec(
            "einsum-transpose",
            l -> Ops.einsum("ij->ji", l.get(0)),
            List.of(In.f64(2, 3)),
            l -> einsumOracle("ij->ji", l),
            ax(0),
            ax(2)),
        spec(
            "einsum-implicit-inner",
            l -> Ops.einsum("i,i", l.get(0), l.get(1)),
            List.of(In.f64(4), In.f64(4)),
            l -> einsumOracle("i,i->", l),
            ax(0, 0),
            ax(-1, 0)),
        spec(
            "einsum-three-operands",
            l -> Ops.einsum("ij,jk,kl->li", l.get(0), l.get(1), l.get(2)),
            List.of(In.f64(2, 3), In.f64(3, 2), In.f64(2, 4)),
            l -> einsumOracle("ij,jk,kl->li", l),
            ax(0, -1, -1),
            ax(-1, 1, 2)),
        spec(
            "einsum-rowwise-and-sum-out",
            l -> Ops.einsum("ij,ijk->i", l.get(0), l.get(1)),
            List.of(In.f64(2, 3), In.f64(2, 3, 2)),
            l -> einsumOracle("ij,ijk->i", l),
            ax(0, 0),
            ax(1, -1)),
        spec(
            "dot-2d",
            l -> Ops.dot(l.get(0), l.get(1)),
            List.of(In.f64(2, 3), In.f64(3, 4)),
            l -> einsumOracle("ij,jk->ik", l),
            ax(0, -1),
            ax(-1, 1)),
        spec(
            "dot-1d",
            l -> Ops.dot(l.get(0), l.get(1)),
            List.of(In.f64(3), In.f64(3)),
            l -> einsumOracle("i,i->", l),
            ax(0, 0)),
        spec(
            "dot-nd-1d",
            l -> Ops.dot(l.get(0), l.get(1)),
            List.of(In.f64(2, 2, 3), In.f64(3)),
            l -> einsumOracle("abi,i->ab", l),
            ax(1, 0)),
        spec(
            "dot-nd-md",
            l -> Ops.dot(l.get(0), l.get(1)),
            List.of(In.f64(2, 3), In.f64(2, 3, 4)),
            l -> einsumOracle("ij,ajk->iak", l),
            ax(0, -1),
            ax(-1, 3)),
        spec(
            "matmul-1d-1d",
            l -> l.get(0).matmul(l.get(1)),
            List.of(In.f64(3), In.f64(3)),
            l -> einsumOracle("i,i->", l),
            ax(0, -1)),
        spec(
            "matmul-1d-2d",
            l -> l.get(0).matmul(l.get(1)),
            List.of(In.f64(3), In.f64(3, 2)),
            l -> einsumOracle("i,ij->j", l),
            ax(0, 1)),
        spec(
            "matmul-2d-1d",
            l -> l.get(0).matmul(l.get(1)),
            List.of(In.f64(2, 3), In.f64(3)),
            l -> einsumOracle("ij,j->i", l),
            ax(2, 0)),
        spec(
            "matmul-1d-batched",
            l -> l.get(0).matmul(l.get(1)),
            List.of(In.f64(3), In.f64(2, 3, 2)),
            l -> einsumOracle("i,bij->bj", l),
            ax(-1, 0)),
        spec(
            "matmul-broadcast-batch",
            l -> l.get(0).matmul(l.get(1)),
            List.of(In.f64(2, 1, 2, 3), In.f64(3, 3, 2)),
            l ->
                Nd.build(
                    new int[] {2, 3, 2, 2},
                    o -> {
                      double s = 0;
                      for (int k = 0; k < 3; k++) {
                        s += l.get(0).at(o[0], 0, o[2], k) * l.get(1).at(o[1], k, o[3]);
                      }
                      return s;
                    }),
            ax(0, -1),
            ax(-1, 1)));
  }

  /** Brute-force einsum over every assignment of the letters (explicit output only). */
  static Nd einsumOracle(String spec, List<Nd> xs) {
    String[] io = spec.split("->", -1);
    String[] terms = io[0].split(",");
    String out = io[1];
    String letters = "";
    int[] sizes = new int[128];
    for (int k = 0; k < terms.length; k++) {
      for (int i = 0; i < terms[k].length(); i++) {
        char c = terms[k].charAt(i);
        sizes[c] = xs.get(k).dim(i);
        if (letters.indexOf(c) < 0) {
          letters += c;
        }
      }
    }
    String summed =
        letters
            .chars()
            .filter(c -> out.indexOf(c) < 0)
            .collect(StringBuilder::new, StringBuilder::appendCodePoint, StringBuilder::append)
            .toString();
    int[] od = out.chars().map(c -> sizes[c]).toArray();
    int[] sd = summed.chars().map(c -> sizes[c]).toArray();
    int total = Arrays.stream(sd).reduce(1, (a, b) -> a * b);
    return Nd.build(
        od,
        o -> {
          int[] val = new int[128];
          for (int i = 0; i < out.length(); i++) {
            val[out.charAt(i)] = o[i];
          }
          int[] si = new int[sd.length];
          double s = 0;
          for (int k = 0; k < total; k++) {
            Shapes.unravel(k, sd, si);
            for (int i = 0; i < sd.length; i++) {
              val[summed.charAt(i)] = si[i];
            }
            double prod = 1;
            for (int t = 0; t < terms.length; t++) {
              int[] idx = terms[t].chars().map(c -> val[c]).toArray();
              prod *= xs.get(t).at(idx);
            }
            s += prod;
          }
          return s;
        });
  }

  // ------------------------------------------------------------ checks driven by the table

  @ParameterizedTest(name = "{0}")
  @MethodSource("specs")
  void valuesMatchAHostComputation(Spec s) {
    List<Tensor> xs = s.sample(1);
    Tensor got = s.f().apply(xs);
    Nd expected = s.oracle().apply(xs.stream().map(Nd::of).toList());
    assertArrayEquals(expected.dims(), got.shape().dims(), s.name() + ": shape");
    assertEquals(DType.F64, got.dtype(), s.name() + ": dtype");
    assertArrayEquals(expected.v(), got.toDoubleArray(), 1e-12, s.name() + ": values");
  }

  @ParameterizedTest(name = "{0}")
  @MethodSource("specs")
  void jvpMatchesFiniteDifferences(Spec s) {
    RuleChecks.checkJvp(s.name(), s.flat(), s.sample(2), 1e-6);
  }

  @ParameterizedTest(name = "{0}")
  @MethodSource("specs")
  void vjpIsTheTransposeOfJvp(Spec s) {
    RuleChecks.checkVjp(s.name(), s.flat(), s.sample(3), 1e-9);
  }

  @ParameterizedTest(name = "{0}")
  @MethodSource("specs")
  void vmapMatchesALoop(Spec s) {
    assertTrue(!s.inAxes().isEmpty(), "every spec lists in-axes");
    for (int[] axes : s.inAxes()) {
      for (int size : new int[] {3, 1}) {
        Random rng = new Random(4);
        List<Tensor> xs = new ArrayList<>();
        for (int k = 0; k < axes.length; k++) {
          xs.add(s.inputs().get(k).make(rng, axes[k], size));
        }
        RuleChecks.checkVmap(
            s.name() + " in_axes=" + Arrays.toString(axes) + " size=" + size,
            s.flat(),
            xs,
            axes,
            1e-12);
      }
    }
  }

  // ------------------------------------------------------------ bad inputs

  record Bad(String name, Executable call, String... mustName) {
    @Override
    public String toString() {
      return name;
    }
  }

  static Tensor z(int... dims) {
    return Tensor.zeros(dims);
  }

  static Tensor i32(int v) {
    return Tensor.scalar(v, DType.I32);
  }

  static Stream<Bad> badInputs() {
    return Stream.of(
        new Bad("squeeze axis of size 2", () -> Indexing.squeeze(z(3, 2), 1), "'squeeze'", "[3,2]"),
        new Bad("squeeze bad axis", () -> Ops.squeeze(z(3, 1), 5), "'squeeze'", "[3,1]"),
        new Bad("expandDims bad axis", () -> Ops.expandDims(z(2), 3), "'expand_dims'", "f32[2]"),
        new Bad(
            "slice out of range",
            () -> Indexing.slice(z(3, 4), ax(0, 2), ax(3, 5), ax(1, 1)),
            "'slice'",
            "f32[3,4]",
            "limit 5"),
        new Bad(
            "slice start > limit",
            () -> Indexing.slice(z(3, 4), ax(2, 0), ax(1, 4), ax(1, 1)),
            "'slice'",
            "f32[3,4]"),
        new Bad(
            "slice wrong rank",
            () -> Indexing.slice(z(3, 4), ax(0), ax(3), ax(1)),
            "'slice'",
            "f32[3,4]"),
        new Bad(
            "slice stride 0",
            () -> Indexing.slice(z(3, 4), ax(0, 0), ax(3, 4), ax(1, 0)),
            "'slice'",
            "f32[3,4]"),
        new Bad("Tensor.slice out of range", () -> z(3, 4).slice(1, 0, 9), "slice", "[3,4]"),
        new Bad("Tensor.slice bad axis", () -> z(3, 4).slice(2, 0, 1), "slice", "[3,4]"),
        new Bad("get out of range", () -> z(3, 4).get(3), "get", "[3,4]", "-3 .. 2"),
        new Bad("get negative out of range", () -> z(3, 4).get(0, -5), "get", "[3,4]"),
        new Bad("get too many indices", () -> z(3, 4).get(0, 0, 0), "get", "[3,4]"),
        new Bad(
            "pad negative",
            () -> Indexing.pad(z(2, 3), Tensor.scalar(0), ax(-1, 0), ax(0, 0), ax(0, 0)),
            "'pad'",
            "f32[2,3]"),
        new Bad(
            "pad value not scalar",
            () -> Indexing.pad(z(2, 3), z(1), ax(0, 0), ax(0, 0), ax(0, 0)),
            "'pad'",
            "f32[2,3]",
            "f32[1]"),
        new Bad("pad widths rank", () -> Ops.pad(z(2, 3), new int[][] {{1, 1}}), "pad", "[2,3]"),
        new Bad(
            "concat incompatible shapes",
            () -> Ops.concat(1, z(2, 3), z(3, 3)),
            "'concatenate'",
            "[2,3]",
            "[3,3]"),
        new Bad("concat wrong rank", () -> Ops.concat(0, z(2), z(2, 2)), "concat", "[2]", "[2,2]"),
        new Bad("concat bad axis", () -> Ops.concat(2, z(2, 3)), "concat", "[2,3]"),
        new Bad("stack different shapes", () -> Ops.stack(0, z(2), z(3)), "stack", "[2]", "[3]"),
        new Bad("stack bad axis", () -> Ops.stack(3, z(2), z(2)), "stack", "[2]"),
        new Bad(
            "take float indices",
            () -> Ops.take(z(4, 3), Tensor.of(1.0f), 0),
            "take",
            "indices",
            "F32"),
        new Bad(
            "take out of range",
            () -> Ops.take(z(4, 3), Tensor.of(1, 4), 0),
            "take",
            "[4,3]",
            "index 4"),
        new Bad("take bad axis", () -> Ops.take(z(4, 3), Tensor.of(1), 2), "take", "[4,3]"),
        new Bad(
            "takeAlongAxis wrong rank",
            () -> Ops.takeAlongAxis(z(4, 3), Tensor.of(1), 0),
            "takeAlongAxis",
            "[4,3]",
            "[1]"),
        new Bad(
            "takeAlongAxis incompatible",
            () -> Ops.takeAlongAxis(z(4, 3), Tensor.of(1, 2).reshape(1, 2), 0),
            "takeAlongAxis",
            "[4,3]",
            "[1,2]"),
        new Bad(
            "dynamic_slice window too big",
            () -> Indexing.dynamicSlice(z(3, 4), List.of(i32(0), i32(0)), ax(4, 1)),
            "'dynamic_slice'",
            "f32[3,4]"),
        new Bad(
            "dynamic_slice missing start",
            () -> Indexing.dynamicSlice(z(3, 4), List.of(i32(0)), ax(1, 1)),
            "'dynamic_slice'",
            "f32[3,4]"),
        new Bad(
            "dynamic_slice float start",
            () -> Indexing.dynamicSlice(z(3, 4), List.of(i32(0), Tensor.scalar(1)), ax(1, 1)),
            "'dynamic_slice'",
            "f32[]"),
        new Bad(
            "dynamic_update_slice update too big",
            () -> Indexing.dynamicUpdateSlice(z(3, 4), z(4, 1), List.of(i32(0), i32(0))),
            "'dynamic_update_slice'",
            "f32[3,4]",
            "f32[4,1]"),
        new Bad(
            "dynamic_update_slice wrong rank",
            () -> Indexing.dynamicUpdateSlice(z(3, 4), z(2), List.of(i32(0), i32(0))),
            "'dynamic_update_slice'",
            "f32[3,4]",
            "f32[2]"),
        new Bad(
            "gather float indices",
            () -> Indexing.gather(z(3, 4), z(2), 0, 0),
            "'gather'",
            "f32[2]"),
        new Bad(
            "gather axis out of range",
            () -> Indexing.gather(z(3, 4), Tensor.of(1), 2, 0),
            "'gather'",
            "f32[3,4]"),
        new Bad(
            "gather batch axes disagree",
            () -> Indexing.gather(z(3, 4), Tensor.of(1, 2), 1, 1),
            "'gather'",
            "f32[3,4]",
            "i32[2]"),
        new Bad(
            "scatter_add updates shape",
            () -> Indexing.scatterAdd(z(4, 3), Tensor.of(1, 2), z(2, 2), 0, 0),
            "'scatter_add'",
            "f32[4,3]",
            "f32[2,2]",
            "f32[2,3]"),
        new Bad(
            "einsum operand count", () -> Ops.einsum("ij,jk->ik", z(2, 3)), "einsum", "ij,jk->ik"),
        new Bad("einsum wrong rank", () -> Ops.einsum("ij->i", z(2, 3, 4)), "einsum", "[2,3,4]"),
        new Bad(
            "einsum size mismatch",
            () -> Ops.einsum("ij,jk->ik", z(2, 3), z(4, 5)),
            "einsum",
            "'j'",
            "[4,5]"),
        new Bad("einsum trace", () -> Ops.einsum("ii->", z(3, 3)), "einsum", "repeated"),
        new Bad(
            "einsum ellipsis",
            () -> Ops.einsum("...ij,...jk", z(2, 3), z(3, 2)),
            "einsum",
            "'...'"),
        new Bad("einsum unknown output", () -> Ops.einsum("ij->k", z(2, 3)), "einsum", "'k'"),
        new Bad("dot misaligned", () -> Ops.dot(z(2, 3), z(2, 3)), "dot", "[2,3]"),
        new Bad("matmul inner mismatch", () -> Ops.matmul(z(2, 3), z(2, 3)), "matmul", "[2,3]"),
        new Bad("matmul scalar", () -> Ops.matmul(z(), z(2)), "matmul", "[2]"));
  }

  @ParameterizedTest(name = "{0}")
  @MethodSource("badInputs")
  void badInputsFailWithATeachingMessage(Bad b) {
    IllegalArgumentException e = assertThrows(IllegalArgumentException.class, b.call(), b.name());
    for (String part : b.mustName()) {
      assertTrue(
          e.getMessage().contains(part),
          b.name() + ": message should name " + part + ", got: " + e.getMessage());
    }
  }
}

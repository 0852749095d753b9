package dev.arbor.core;

import dev.arbor.array.Tensor;
import dev.arbor.backend.Backend;
import dev.arbor.backend.Backends;
import dev.arbor.backend.Buffer;
import dev.arbor.backend.HostArray;
import dev.arbor.backend.Kernel;
import dev.arbor.backend.Kernels;
import java.lang.ref.Reference;
import java.util.ArrayList;
import java.util.List;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;

/** The bottom trace: runs primitives on concrete tensors with backend kernels. */
final class EvalTrace extends Trace {
  static final EvalTrace INSTANCE = new EvalTrace();
  private static final System.Logger LOG = System.getLogger("dev.arbor.backend");
  private static final Set<String> WARNED = ConcurrentHashMap.newKeySet();

  private EvalTrace() {
    super("eval", true);
  }

  @Override
  protected Tensor pure(Tensor value) {
    if (value instanceof ConcreteTensor) {
      return value;
    }
    throw new AssertionError("eval trace got a non-concrete value: " + value);
  }

  @Override
  protected List<Tensor> process(Primitive p, List<Tensor> args, Params params) {
    List<AbstractValue> inAvals = new ArrayList<>(args.size());
    // The backend: that of the committed inputs (they must agree), else that of the inputs if
    // they agree, else the default. Uncommitted inputs elsewhere are moved to it (JAX's rule).
    Backend backend = null;
    Backend uncommitted = null;
    boolean mixedUncommitted = false;
    boolean committed = false;
    for (Tensor a : args) {
      ConcreteTensor c = (ConcreteTensor) a;
      inAvals.add(c.aval());
      if (c.isCommitted()) {
        committed = true;
        if (backend == null) {
          backend = c.backend();
        } else if (backend != c.backend()) {
          throw new IllegalArgumentException(
              "'"
                  + p.name()
                  + "' got tensors placed on two backends ("
                  + backend.name()
                  + " and "
                  + c.backend().name()
                  + "); move one with tensor.to(\""
                  + backend.name()
                  + "\")");
        }
      } else if (uncommitted == null) {
        uncommitted = c.backend();
      } else if (uncommitted != c.backend()) {
        mixedUncommitted = true;
      }
    }
    if (backend == null) {
      backend = uncommitted != null && !mixedUncommitted ? uncommitted : Backends.defaultBackend();
    }
    for (int k = 0; k < args.size(); k++) {
      ConcreteTensor c = (ConcreteTensor) args.get(k);
      if (c.backend() != backend) {
        args.set(k, ConcreteTensor.wrap(backend, backend.upload(c.host()), c.aval(), false));
      }
    }
    List<AbstractValue> outAvals = p.abstractEval(inAvals, params);
    Kernel kernel = Kernels.find(backend, p).orElse(null);
    if (kernel == null && p.hasEvalRule()) {
      // A higher-order primitive (cond, scan, ...) runs its sub-graphs' primitives on this backend.
      return p.evalRule().apply(args, params);
    }
    List<Buffer> outs;
    if (kernel != null) {
      List<Buffer> bufs = new ArrayList<>(args.size());
      for (Tensor a : args) {
        bufs.add(((ConcreteTensor) a).buffer());
      }
      outs = kernel.run(bufs, inAvals, params, outAvals);
    } else {
      if (WARNED.add(backend.name() + "/" + p.name())) {
        LOG.log(
            System.Logger.Level.WARNING,
            "backend ''{0}'' has no kernel for ''{1}''; running the reference kernel on host copies",
            backend.name(),
            p.name());
      }
      List<HostArray> host = new ArrayList<>(args.size());
      for (Tensor a : args) {
        host.add(((ConcreteTensor) a).host());
      }
      List<HostArray> res = p.referenceKernel().apply(host, params, outAvals);
      outs = new ArrayList<>(res.size());
      for (HostArray h : res) {
        outs.add(backend.upload(h));
      }
    }
    // The kernel read the inputs' buffers, not the tensors: without this fence the JIT may find the
    // tensors unreachable mid-kernel, and their Cleaner would release the buffers being read.
    Reference.reachabilityFence(args);
    List<Tensor> result = new ArrayList<>(outs.size());
    for (int k = 0; k < outs.size(); k++) {
      result.add(ConcreteTensor.wrap(backend, outs.get(k), outAvals.get(k), committed));
    }
    NanCheck.check(p, result);
    return result;
  }
}

package dev.arbor.spark;

import dev.arbor.array.DType;
import dev.arbor.array.Tensor;
import dev.arbor.tree.TreeDef;
import dev.arbor.tree.Trees;
import java.io.IOException;
import java.io.Serial;
import java.io.Serializable;
import java.io.UncheckedIOException;
import java.net.InetSocketAddress;
import java.net.ServerSocket;
import java.util.ArrayList;
import java.util.Iterator;
import java.util.List;
import java.util.Optional;
import org.apache.spark.BarrierTaskContext;
import org.apache.spark.broadcast.Broadcast;
import org.apache.spark.util.CollectionAccumulator;
import scala.jdk.javaapi.CollectionConverters;
import scala.runtime.AbstractFunction1;

/**
 * One epoch of the gang-scheduled path, as the function of a barrier stage: every task holds one
 * partition of shards, the tasks exchange addresses once ({@code allGather}), connect in a ring and
 * then, for every step, compute their shard's gradient, all-reduce it over the ring and apply the
 * same update. Rank 0 reports steps through the accumulator, saves checkpoints, and returns the
 * final state.
 *
 * @param runId the training run (keys the executors' jit cache and checkpoint names)
 * @param epoch the epoch this stage runs
 * @param start the parameters and optimizer state at the start of the epoch
 * @param reports where rank 0 adds a {@link StepReport} per step
 * @param store checkpoints (null: none)
 * @param checkpointEvery save after every this many steps (with a store)
 * @param hook called before every step (null: none)
 */
record GangEpoch<P, D, S>(
    String runId,
    Loss<P, D> loss,
    UpdateRule<P, S> rule,
    int epoch,
    Broadcast<SerializedTree<TrainingState>> start,
    CollectionAccumulator<StepReport> reports,
    CheckpointStore store,
    int checkpointEvery,
    StepHook hook,
    int timeoutMillis)
    implements Serializable {
  @Serial private static final long serialVersionUID = 1L;

  /**
   * The barrier stage's function. (Not {@code RDDBarrier.mapPartitionsWithEvaluator}: in Spark 4.2
   * it builds an ordinary stage, whose tasks have no {@code BarrierTaskContext}.)
   */
  AbstractFunction1<
          scala.collection.Iterator<D>, scala.collection.Iterator<SerializedTree<TrainingState>>>
      asStageFunction() {
    return new StageFunction<>(this);
  }

  private static final class StageFunction<P, D, S>
      extends AbstractFunction1<
          scala.collection.Iterator<D>, scala.collection.Iterator<SerializedTree<TrainingState>>>
      implements Serializable {
    @Serial private static final long serialVersionUID = 1L;
    private final GangEpoch<P, D, S> epoch;

    StageFunction(GangEpoch<P, D, S> epoch) {
      this.epoch = epoch;
    }

    @Override
    public scala.collection.Iterator<SerializedTree<TrainingState>> apply(
        scala.collection.Iterator<D> input) {
      List<D> shards = new ArrayList<>();
      CollectionConverters.asJava(input).forEachRemaining(shards::add);
      try {
        return CollectionConverters.asScala(epoch.run(shards));
      } catch (IOException e) {
        throw new UncheckedIOException(e);
      }
    }
  }

  /** The checkpoint name of {@code epoch} of run {@code runId}. */
  static String checkpointName(String runId, int epoch) {
    return "arbor-" + runId + "-epoch" + epoch;
  }

  @SuppressWarnings("unchecked")
  private Iterator<SerializedTree<TrainingState>> run(List<D> shards) throws IOException {
    BarrierTaskContext ctx = BarrierTaskContext.get();
    int rank = ctx.partitionId();
    int n = ctx.getTaskInfos().length;
    TrainingState begin = start.value().get();
    P params = (P) begin.params();
    S state = (S) begin.optState();
    int from = 0;
    if (store != null) {
      Optional<TrainingState> saved = store.load(checkpointName(runId, epoch), begin);
      if (saved.isPresent()) {
        params = (P) saved.get().params();
        state = (S) saved.get().optState();
        from = (int) saved.get().stepsDone().item();
      }
    }
    try (ServerSocket server = new ServerSocket(0)) {
      String host = hostOf(ctx.getTaskInfos()[rank].address());
      // The one barrier round trip of the epoch (~1 s in Spark 4.2): address, shard count and the
      // step this task resumes from, so all tasks agree on the schedule.
      String[] all =
          ctx.allGather(host + " " + server.getLocalPort() + " " + shards.size() + " " + from);
      List<InetSocketAddress> peers = new ArrayList<>(n);
      int steps = 0;
      for (String m : all) {
        String[] f = m.split(" ");
        peers.add(new InetSocketAddress(f[0], Integer.parseInt(f[1])));
        steps = Math.max(steps, Integer.parseInt(f[2]));
        if (Integer.parseInt(f[3]) != from) {
          throw new IllegalStateException(
              "tasks resumed from different checkpoints (steps "
                  + from
                  + " and "
                  + f[3]
                  + "); a stale task may still be writing: retrying the stage");
        }
      }
      TreeDef def = Trees.structure(params);
      List<Object> paramLeaves = Trees.leaves(params);
      try (Ring ring = Ring.connect(rank, peers, server, timeoutMillis)) {
        for (int s = from; s < steps; s++) {
          if (hook != null) {
            hook.beforeStep(rank, ctx.stageAttemptNumber(), epoch, s);
          }
          long t0 = System.nanoTime();
          double[] buf =
              s < shards.size()
                  ? pack(ShardGradients.compute(runId, loss, params, shards.get(s)))
                  : zeros(paramLeaves);
          ring.allReduceSum(buf);
          long count = (long) buf[buf.length - 1];
          double lossMean = buf[buf.length - 2] / count;
          P grads = def.unflatten(unpack(buf, paramLeaves, count));
          UpdateRule.Updated<P, S> next = rule.apply(params, grads, state);
          params = next.params();
          state = next.state();
          paramLeaves = Trees.leaves(params);
          double seconds = (System.nanoTime() - t0) / 1e9;
          if (rank == 0) {
            reports.add(new StepReport(epoch, s, lossMean, count, seconds));
            if (store != null && checkpointEvery > 0 && (s + 1) % checkpointEvery == 0) {
              store.save(
                  checkpointName(runId, epoch),
                  new TrainingState(params, state, Tensor.scalar(s + 1, DType.I64)));
            }
          }
        }
      }
      if (rank != 0) {
        return List.<SerializedTree<TrainingState>>of().iterator();
      }
      return List.of(
              SerializedTree.of(new TrainingState(params, state, Tensor.scalar(steps, DType.I64))))
          .iterator();
    }
  }

  private static String hostOf(String address) {
    int colon = address.lastIndexOf(':');
    return colon > 0 && address.indexOf(':') == colon ? address.substring(0, colon) : address;
  }

  /** Weighted gradient leaves, then the loss sum, then the count: what the ring sums. */
  static double[] pack(Partial p) {
    int total = 0;
    List<double[]> parts = new ArrayList<>(p.weightedGrads().size());
    for (Tensor g : p.weightedGrads()) {
      double[] d = g.toDoubleArray();
      parts.add(d);
      total += d.length;
    }
    double[] buf = new double[total + 2];
    int at = 0;
    for (double[] d : parts) {
      System.arraycopy(d, 0, buf, at, d.length);
      at += d.length;
    }
    buf[total] = p.lossSum();
    buf[total + 1] = p.count();
    return buf;
  }

  /** The contribution of a task with no shard at this step. */
  static double[] zeros(List<Object> paramLeaves) {
    long total = 0;
    for (Object leaf : paramLeaves) {
      total += ((Tensor) leaf).size();
    }
    return new double[Math.toIntExact(total + 2)];
  }

  /** The mean gradient's leaves, shaped and typed like the parameters' leaves. */
  static List<Tensor> unpack(double[] buf, List<Object> paramLeaves, long count) {
    List<Tensor> out = new ArrayList<>(paramLeaves.size());
    int at = 0;
    for (Object leaf : paramLeaves) {
      Tensor p = (Tensor) leaf;
      int len = Math.toIntExact(p.size());
      double[] d = new double[len];
      for (int k = 0; k < len; k++) {
        d[k] = buf[at + k] / count;
      }
      at += len;
      out.add(Tensor.fromArray(d, p.shape().dims()).astype(p.dtype()));
    }
    return out;
  }
}

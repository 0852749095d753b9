package dev.arbor.spark;

import java.io.BufferedInputStream;
import java.io.BufferedOutputStream;
import java.io.Closeable;
import java.io.DataInputStream;
import java.io.DataOutputStream;
import java.io.IOException;
import java.net.InetSocketAddress;
import java.net.ServerSocket;
import java.net.Socket;
import java.net.SocketTimeoutException;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.util.List;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;

/**
 * A ring of TCP connections between the tasks of a barrier stage, and the ring all-reduce over it
 * (reduce-scatter then all-gather, {@code 2(n-1)} chunk transfers per call, each task sending and
 * receiving {@code 2(n-1)/n} of the buffer). Each chunk's sum is computed on one task and copied to
 * the others, so every task ends with bit-identical values.
 *
 * <p>Not thread-safe: one task drives it. A peer that fails closes its sockets, which makes its
 * neighbours' reads fail, so the failure spreads around the ring instead of hanging it; reads also
 * time out after {@code timeoutMillis}.
 */
final class Ring implements Closeable {
  private final int rank;
  private final int size;
  private final Socket toNext;
  private final Socket fromPrev;
  private final DataOutputStream out;
  private final DataInputStream in;
  private final ExecutorService sender;

  private Ring(int rank, int size, Socket toNext, Socket fromPrev) throws IOException {
    this.rank = rank;
    this.size = size;
    this.toNext = toNext;
    this.fromPrev = fromPrev;
    this.out =
        toNext == null
            ? null
            : new DataOutputStream(new BufferedOutputStream(toNext.getOutputStream(), 1 << 16));
    this.in =
        fromPrev == null
            ? null
            : new DataInputStream(new BufferedInputStream(fromPrev.getInputStream(), 1 << 16));
    this.sender =
        size == 1
            ? null
            : Executors.newSingleThreadExecutor(
                r -> {
                  Thread t = new Thread(r, "arbor-ring-send-" + rank);
                  t.setDaemon(true);
                  return t;
                });
  }

  /**
   * Connects task {@code rank} to the next task's {@code server} address and accepts the previous
   * task's connection on its own {@code server}. Every task must have bound its server before any
   * connects (the barrier's address exchange guarantees it).
   */
  static Ring connect(
      int rank, List<InetSocketAddress> peers, ServerSocket server, int timeoutMillis)
      throws IOException {
    int n = peers.size();
    if (n == 1) {
      return new Ring(0, 1, null, null);
    }
    Socket next = new Socket();
    Socket prev = null;
    try {
      next.connect(peers.get((rank + 1) % n), timeoutMillis);
      next.setTcpNoDelay(true);
      next.setSoTimeout(timeoutMillis);
      new DataOutputStream(next.getOutputStream()).writeInt(rank);
      server.setSoTimeout(timeoutMillis);
      prev = server.accept();
      prev.setTcpNoDelay(true);
      prev.setSoTimeout(timeoutMillis);
      int from = new DataInputStream(prev.getInputStream()).readInt();
      int expected = (rank - 1 + n) % n;
      if (from != expected) {
        throw new IOException(
            "ring: task " + rank + " expected task " + expected + " to connect, got " + from);
      }
      return new Ring(rank, n, next, prev);
    } catch (IOException | RuntimeException e) {
      next.close();
      if (prev != null) {
        prev.close();
      }
      throw e;
    }
  }

  int size() {
    return size;
  }

  /** Replaces {@code buf} on every task by the elementwise sum of all tasks' buffers. */
  void allReduceSum(double[] buf) throws IOException {
    int n = size;
    if (n == 1) {
      return;
    }
    double[] tmp = new double[chunkEnd(buf.length, 0) + 1];
    for (int k = 0; k < n - 1; k++) { // reduce-scatter
      int send = Math.floorMod(rank - k, n);
      int recv = Math.floorMod(rank - k - 1, n);
      Future<?> sent = sendAsync(buf, send);
      int from = chunkStart(buf.length, recv);
      int len = chunkEnd(buf.length, recv) - from;
      tmp = read(tmp, len);
      for (int j = 0; j < len; j++) {
        buf[from + j] += tmp[j];
      }
      await(sent);
    }
    for (int k = 0; k < n - 1; k++) { // all-gather
      int send = Math.floorMod(rank + 1 - k, n);
      int recv = Math.floorMod(rank - k, n);
      Future<?> sent = sendAsync(buf, send);
      int from = chunkStart(buf.length, recv);
      int len = chunkEnd(buf.length, recv) - from;
      tmp = read(tmp, len);
      System.arraycopy(tmp, 0, buf, from, len);
      await(sent);
    }
  }

  private int chunkStart(int length, int chunk) {
    return (int) ((long) length * chunk / size);
  }

  private int chunkEnd(int length, int chunk) {
    return (int) ((long) length * (chunk + 1) / size);
  }

  private Future<?> sendAsync(double[] buf, int chunk) {
    int from = chunkStart(buf.length, chunk);
    int len = chunkEnd(buf.length, chunk) - from;
    return sender.submit(
        () -> {
          ByteBuffer b = ByteBuffer.allocate(len * Double.BYTES).order(ByteOrder.LITTLE_ENDIAN);
          b.asDoubleBuffer().put(buf, from, len);
          out.write(b.array());
          out.flush();
          return null;
        });
  }

  private double[] read(double[] into, int len) throws IOException {
    double[] dst = into.length >= len ? into : new double[len];
    byte[] bytes = new byte[len * Double.BYTES];
    try {
      in.readFully(bytes);
    } catch (SocketTimeoutException e) {
      throw new IOException("ring: task " + rank + " timed out waiting for its neighbour", e);
    }
    ByteBuffer.wrap(bytes).order(ByteOrder.LITTLE_ENDIAN).asDoubleBuffer().get(dst, 0, len);
    return dst;
  }

  private static void await(Future<?> sent) throws IOException {
    try {
      sent.get();
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      throw new IOException("ring: interrupted while sending", e);
    } catch (ExecutionException e) {
      throw e.getCause() instanceof IOException io ? io : new IOException(e.getCause());
    }
  }

  @Override
  public void close() throws IOException {
    if (sender != null) {
      sender.shutdownNow();
    }
    try {
      if (toNext != null) {
        toNext.close();
      }
    } finally {
      if (fromPrev != null) {
        fromPrev.close();
      }
    }
  }
}

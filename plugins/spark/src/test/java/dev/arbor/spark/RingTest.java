package dev.arbor.spark;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertInstanceOf;
import static org.junit.jupiter.api.Assertions.assertThrows;

import java.io.IOException;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.ServerSocket;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import org.junit.jupiter.api.Test;

/** The ring all-reduce between threads on loopback, without Spark. */
class RingTest {
  private interface Body {
    double[] run(int rank, Ring ring) throws IOException;
  }

  private static List<Future<double[]>> ring(int n, Body body) throws IOException {
    InetAddress lo = InetAddress.getLoopbackAddress();
    List<ServerSocket> servers = new ArrayList<>();
    List<InetSocketAddress> peers = new ArrayList<>();
    for (int r = 0; r < n; r++) {
      ServerSocket s = new ServerSocket(0, n, lo);
      servers.add(s);
      peers.add(new InetSocketAddress(lo, s.getLocalPort()));
    }
    ExecutorService pool = Executors.newFixedThreadPool(n);
    List<Future<double[]>> out = new ArrayList<>();
    for (int r = 0; r < n; r++) {
      int rank = r;
      out.add(
          pool.submit(
              () -> {
                try (ServerSocket s = servers.get(rank);
                    Ring ring = Ring.connect(rank, peers, s, 20_000)) {
                  return body.run(rank, ring);
                }
              }));
    }
    pool.shutdown();
    return out;
  }

  @Test
  void everyRankGetsTheSameSumForAnySizeAndLength() throws Exception {
    for (int n : new int[] {1, 2, 3, 5}) {
      for (int len : new int[] {1, 2, 7, 1000}) {
        double[] expected = new double[len];
        for (int r = 0; r < n; r++) {
          for (int k = 0; k < len; k++) {
            expected[k] += r * 1000.0 + k + 0.1;
          }
        }
        var results =
            ring(
                n,
                (rank, ring) -> {
                  double[] buf = new double[len];
                  for (int k = 0; k < len; k++) {
                    buf[k] = rank * 1000.0 + k + 0.1;
                  }
                  ring.allReduceSum(buf);
                  ring.allReduceSum(new double[len]); // the ring is reusable step after step
                  return buf;
                });
        double[] first = results.get(0).get();
        assertArrayEquals(expected, first, 1e-9, "n=" + n + " len=" + len);
        for (var f : results) {
          assertArrayEquals(first, f.get(), 0.0, "ranks agree bit for bit");
        }
      }
    }
  }

  @Test
  void aFailedRankFailsItsNeighboursInsteadOfHangingThem() throws Exception {
    var results =
        ring(
            3,
            (rank, ring) -> {
              if (rank == 1) {
                throw new IOException("rank 1 dies");
              }
              double[] buf = new double[100];
              ring.allReduceSum(buf);
              return buf;
            });
    for (var f : results) {
      var e = assertThrows(ExecutionException.class, f::get);
      assertInstanceOf(IOException.class, e.getCause());
    }
  }
}

package dev.arbor.backend;

import dev.arbor.core.Primitive;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;

/**
 * The pure-Java scalar backend: clear rather than fast, the oracle every other backend is tested
 * against. Its buffers are {@link HostArray}s; its kernels are the reference kernels declared
 * beside each primitive.
 */
public final class ReferenceBackend implements Backend {
  /** The backend's name. */
  public static final String NAME = "reference";

  /** Public for ServiceLoader; use {@link Backends#get(String)}. */
  public ReferenceBackend() {}

  @Override
  public String name() {
    return NAME;
  }

  @Override
  public boolean isAvailable() {
    return true;
  }

  @Override
  public int rank() {
    return 0;
  }

  @Override
  public Buffer upload(HostArray data) {
    return data;
  }

  @Override
  public HostArray download(Buffer buffer) {
    return (HostArray) buffer;
  }

  @Override
  public Optional<Kernel> kernel(Primitive p) {
    if (!p.hasReference()) {
      return Optional.empty();
    }
    Primitive.ReferenceKernel k = p.referenceKernel();
    return Optional.of(
        (inputs, inAvals, params, outAvals) -> {
          List<HostArray> in = new ArrayList<>(inputs.size());
          for (Buffer b : inputs) {
            in.add((HostArray) b);
          }
          return List.copyOf(k.apply(in, params, outAvals));
        });
  }

  @Override
  public String toString() {
    return NAME;
  }
}

package dev.arbor.spark;

import dev.arbor.nn.checkpoint.Checkpoints;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Optional;

/**
 * A {@link CheckpointStore} of safetensors files written with arbor-nn's {@link Checkpoints}: the
 * checkpoint {@code name} is {@code dir/name.safetensors}, holding the parameters, the optimizer
 * state and the step count by key path. {@link Checkpoints#save} writes a temporary file and moves
 * it into place, so a reader never sees half a checkpoint.
 *
 * <p>On a cluster {@code dir} must be a folder every executor sees (a shared mount).
 *
 * @param dir the folder of the checkpoints (created on the first save)
 */
public record SafetensorsStore(String dir) implements CheckpointStore {
  @java.io.Serial private static final long serialVersionUID = 1L;

  /** The file of checkpoint {@code name}. */
  public Path file(String name) {
    return Path.of(dir, name + ".safetensors");
  }

  @Override
  public void save(String name, Object tree) throws IOException {
    Files.createDirectories(Path.of(dir));
    Checkpoints.save(file(name), tree);
  }

  @Override
  public <T> Optional<T> load(String name, T like) throws IOException {
    Path f = file(name);
    if (!Files.exists(f)) {
      return Optional.empty();
    }
    return Optional.of(Checkpoints.load(f, like));
  }
}

package dev.arbor.gpu.ir;

/**
 * {@code threefry2x32(k0, k1, x0, x1) -> (y0, y1)} (core's {@code Threefry}): the Threefry-2x32
 * block cipher, 20 rounds, elementwise over four I32 operands holding uint32 bits. One work item
 * per element; the five blocks of four rounds (add, rotate left by the cipher's constants, xor) and
 * the key injections are unrolled, on 32-bit unsigned integers, so the result is the reference's
 * bit for bit. A kernel of its own rather than a {@link LoopKernel} body: the IR has no constants,
 * and the hash has two outputs of four inputs that no fusion cluster contains.
 *
 * <p>Launch: buffers {@code k0, k1, x0, x1, y0, y1}; then {@code int n}; one work item per element.
 *
 * @param name the entry point's name
 */
public record ThreefryKernel(String name) implements GpuKernel {
  /** Rotation amounts of rounds 0–3 of even blocks, then of odd blocks. */
  static final int[] ROTATIONS = {13, 15, 26, 6, 17, 29, 16, 24};

  /** The key schedule's parity constant: {@code ks2 = k0 ^ k1 ^ PARITY}. */
  static final int PARITY = 0x1BD11BDA;
}

/**
 * Internal: what the GPU backends share — the {@link dev.arbor.gpu.device.Device} driver seam, the
 * memory pool, device buffers and {@link dev.arbor.gpu.device.DeviceBackend}. Not exported.
 */
package dev.arbor.gpu.device;

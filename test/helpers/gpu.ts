// Whether this machine can run the CUDA execution provider, for the GPU-only tests: each of them
// skips (printing this reason) where it cannot, and runs for real where it can.
import { existsSync } from 'node:fs';
import { Session, availableProviders } from '../../src/runtime/index.js';
import { identityModel } from '../fixtures/runtime-models.js';

/** Why the CUDA provider cannot run here, or undefined when it can. */
export function cudaUnavailableReason(): string | undefined {
  if (!availableProviders().includes('CUDAExecutionProvider')) return 'this ONNX Runtime build has no CUDAExecutionProvider';
  if (!existsSync('/dev/nvidia0') && !existsSync('/proc/driver/nvidia/gpus')) return 'no NVIDIA GPU device on this machine';
  try {
    Session.load(identityModel('float32'), { executionProviders: [{ name: 'cuda' }] }).unload();
    return undefined;
  } catch (e) {
    return `the CUDA provider cannot start: ${(e as Error).message.slice(0, 300)}`;
  }
}

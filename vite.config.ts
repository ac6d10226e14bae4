// Vite builds the playground (index.html) and the in-browser kernel check page (kernels.html);
// Vitest runs the Node suite (GPU kernels on Dawn through the `webgpu` package, plus plain TS tests).
import { defineConfig } from 'vitest/config';
import react from '@vitejs/plugin-react';
import { resolve } from 'node:path';

export default defineConfig({
  plugins: [react()],
  build: {
    target: 'es2022',
    rollupOptions: {
      input: {
        main: resolve(import.meta.dirname, 'index.html'),
        kernels: resolve(import.meta.dirname, 'kernels.html'),
      },
    },
  },
  worker: { format: 'es' },
  test: {
    include: ['test/**/*.test.ts'],
    // One Dawn device per worker process; GPU tests are heavy on a 2-core machine.
    pool: 'forks',
    maxWorkers: 2,
    testTimeout: 120_000,
    hookTimeout: 120_000,
  },
});

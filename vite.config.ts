import react from '@vitejs/plugin-react';
import { defineConfig } from 'vite';

// The designer: index.html at the root loads designer/main.tsx. It bundles the
// codegen (and the TypeScript parser it uses to check expressions), so its
// main chunk is large by design; everything runs in the browser, no server.
export default defineConfig({
  plugins: [react()],
  build: {
    outDir: 'dist',
    chunkSizeWarningLimit: 8000,
    sourcemap: false,
  },
  server: { port: 5173 },
});

import { defineConfig } from "vite";
import tsgrad from "tsgrad/vite";

// tsgrad's plugin builds src/ on start and on every save: model.grad.ts is never stale,
// and a source tsgrad cannot differentiate shows up in Vite's error overlay.
export default defineConfig({
  plugins: [tsgrad({ paths: ["src"] })],
});

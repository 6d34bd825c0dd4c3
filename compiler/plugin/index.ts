/**
 * tsgrad as a bundler plugin: one implementation on unplugin for Vite, Rollup, Rolldown,
 * esbuild and webpack (`tsgrad/vite`, `tsgrad/rollup`, … re-export its adapters).
 *
 *   - On start (and on every rebuild in watch mode) it runs `tsgrad build` over the
 *     project (the bundler's root, or `paths`), through the build cache, writing the
 *     `X.grad.ts` files beside their sources as the CLI does.
 *   - Every request for a generated file (`X.grad.ts`, with or without a query) is
 *     answered from a build that started after the request, from the compiler's own
 *     output, never from a file on disk that may be stale; the sources are added as watch
 *     files so watch modes rebuild when they change.
 *   - Diagnostics are the bundler's errors: a production build fails with tsgrad's text,
 *     location and code frame; in Vite's dev server they appear in the error overlay as
 *     soon as a source with an error is saved, and the page reloads when it is fixed.
 */
import path from "node:path";
import { createUnplugin, type UnpluginInstance } from "unplugin";
import { isSourcePath } from "../cli/discover.ts";
import { Builder, type BuildProblem, type TsgradPluginOptions } from "./builder.ts";

export type { TsgradPluginOptions } from "./builder.ts";

/** The parts of Vite's dev server the plugin uses (structural, so Vite stays optional). */
interface DevServer {
  ws: { send(payload: unknown): void };
}

export const tsgrad: UnpluginInstance<TsgradPluginOptions | undefined, false> = createUnplugin((rawOptions, meta) => {
  const options = rawOptions ?? {};
  let builder = new Builder(options);
  let server: DevServer | undefined;
  /** The last build failed in the dev server: reload the page once a build succeeds. */
  let overlayShown = false;

  const toError = (problem: BuildProblem) => Object.assign(new Error(problem.message), { id: problem.id, loc: problem.loc, frame: problem.frame, plugin: "tsgrad" });
  const toMessage = (problem: BuildProblem) => ({ message: problem.message, id: problem.id, loc: problem.loc, plugin: "tsgrad", stack: "", frame: problem.frame });

  /** Dev server: rebuild after a source changed; errors go to the overlay at once. True when clean. */
  const rebuildForDev = async (): Promise<boolean> => {
    const report = await builder.build();
    const problem = builder.problem(report);
    if (problem && server) {
      overlayShown = true;
      server.ws.send({ type: "error", err: { message: problem.message, stack: "", id: problem.id, loc: problem.loc, frame: problem.frame, plugin: "tsgrad" } });
    } else if (!problem && overlayShown && server) {
      overlayShown = false;
      server.ws.send({ type: "full-reload", path: "*" });
    }
    return problem === null;
  };

  return {
    name: "tsgrad",
    enforce: "pre",

    async buildStart() {
      const report = await builder.build();
      // esbuild takes watch files only from load(), which adds them too.
      if (meta.framework !== "esbuild") for (const file of report.files) this.addWatchFile(file);
      const problem = builder.problem(report);
      if (!problem) return;
      // The dev server keeps running and shows the error where the page asks for the file.
      if (server) overlayShown = true;
      else throw toError(problem);
    },

    load: {
      filter: { id: /\.grad\.ts(\?.*)?$/ },
      async handler(id) {
        const file = Builder.generatedId(id);
        if (!file) return null;
        const report = await builder.build();
        for (const source of report.files) this.addWatchFile(source);
        const problem = builder.problem(report);
        if (problem) {
          this.error(toMessage(problem));
          return null;
        }
        // Not a file this build generates (a hand-written X.grad.ts, or outside `paths`): the bundler reads it.
        return report.generated.get(file) ?? null;
      },
    },

    vite: {
      configResolved(config) {
        if (!options.root && path.resolve(config.root) !== builder.root) builder = new Builder({ ...options, root: config.root });
      },
      configureServer(devServer) {
        server = devServer as unknown as DevServer;
        // Every request for a generated file goes through load() (so through a build that
        // starts after the request), even one made before Vite's watcher saw the save
        // that made its cached transform stale.
        devServer.middlewares.use((req, _res, next) => {
          const url = req.url ?? "";
          if (!/\.grad\.ts(\?|$)/.test(url)) return next();
          devServer.moduleGraph
            .getModuleByUrl(url)
            .then((m) => m && devServer.moduleGraph.invalidateModule(m))
            .then(() => next(), next);
        });
      },
      /**
       * A saved source: rebuild first, then update the generated files that changed
       * together with it. If the build failed, no update is sent (an update would close
       * the overlay and run the new source against old generated code); the page reloads
       * once a build succeeds again.
       */
      async handleHotUpdate(ctx) {
        if (!isSourcePath(ctx.file)) return;
        // A request for a generated file made while we rebuild must reach load() (and wait
        // for the rebuild), not get the transform Vite cached from before the save.
        for (const g of builder.last?.generated.keys() ?? []) {
          for (const m of (ctx.server.moduleGraph.getModulesByFile(g) ?? []) as Iterable<(typeof ctx.modules)[number]>) ctx.server.moduleGraph.invalidateModule(m);
        }
        if (!(await rebuildForDev())) return [];
        const changed = (builder.last?.written ?? []).flatMap((g) => [...((ctx.server.moduleGraph.getModulesByFile(g) as Set<(typeof ctx.modules)[number]> | undefined) ?? [])]);
        return changed.length > 0 ? [...ctx.modules, ...changed.filter((m) => !ctx.modules.includes(m))] : undefined;
      },
    },
  };
});

export default tsgrad;

/**
 * Node's file-system and OS modules in the browser. ts-morph requires them when it loads
 * but touches them only for a real file system; the playground uses its in-memory one,
 * so an empty object stands in. Any use shows up as a clear error, not a silent no-op.
 */
const unavailable: Record<string, unknown> = new Proxy(
  {},
  {
    get(_, name) {
      if (name === "__esModule" || name === "default" || name === "then" || typeof name === "symbol") return undefined;
      throw new Error(`the playground has no file system ('${String(name)}' was used)`);
    },
  },
);
export default unavailable;

/**
 * Sparsity detection: forward-mode code re-typed to carry index sets (runtime/indexSets.ts)
 * instead of numeric tangents.
 *
 * Takes: statements forward mode generated (a JVP, or an HVP: forward over reverse) and
 * the names of their tangent variables (ForwardGenerator.tangentNames). Gives: the same
 * statements where every tangent holds the set of wrt indices it may depend on. Primal and
 * adjoint values are computed as before, so the control flow is that of the given input.
 *
 * A tangent is linear in the tangents it reads (dot(f(a, b)) = f_a·dot(a) + f_b·dot(b)):
 * its set is the union of theirs, whatever the coefficients are (a coefficient that
 * happens to be zero keeps its entry: the pattern is a superset of the nonzeros at that
 * point, and the same for every input that takes the same branches). A branch of a
 * conditional tangent keeps its test. Tangents a reverse sweep saves go on a stack of sets
 * of their own (`setStack`), in the order of the numeric stack, so they pop back in order.
 *
 * Guarantees: no statement reads a numeric tangent any more; the names of the runtime
 * helpers the statements call are added to `used`.
 */
import * as b from "../ir/build.ts";
import type { Expr, LValue, Stmt, ValueType } from "../ir/nodes.ts";
import { rootName } from "../ir/visit.ts";

export class IndexSetRewriter {
  /** Runtime helpers (runtime/indexSets.ts) the rewritten statements call. */
  readonly used = new Set<string>();

  constructor(
    private readonly tangents: ReadonlySet<string>,
    private readonly setStack: string,
  ) {}

  private isTangent(e: Expr | LValue): boolean {
    const root = rootName(e);
    return root !== null && this.tangents.has(root);
  }

  private helper(name: string, args: Expr[]): Expr {
    this.used.add(name);
    return { kind: "call", callee: name, args };
  }

  private empty(): Expr {
    this.used.add("EMPTY_SET");
    return b.v("EMPTY_SET");
  }

  /** The tangents (variables, elements, fields) an expression reads, each once. */
  private atoms(e: Expr, out: Expr[]): Expr[] {
    if ((e.kind === "var" || e.kind === "index" || e.kind === "field") && this.isTangent(e)) {
      if (!out.some((x) => b.sameExpr(x, e))) out.push(e);
      return out;
    }
    switch (e.kind) {
      case "unary": return this.atoms(e.operand, out);
      case "binary": this.atoms(e.left, out); return this.atoms(e.right, out);
      case "call": for (const a of e.args) this.atoms(a, out); return out;
      case "conditional": this.atoms(e.whenTrue, out); return this.atoms(e.whenFalse, out);
      case "arrayLiteral": for (const a of e.elements) this.atoms(a, out); return out;
      default: return out;
    }
  }

  /** The set of a tangent expression. */
  set(e: Expr): Expr {
    switch (e.kind) {
      case "number": return this.empty();
      case "pop": return this.helper("popSet", [b.v(this.setStack)]);
      case "conditional": return { kind: "conditional", test: e.test, whenTrue: this.set(e.whenTrue), whenFalse: this.set(e.whenFalse) };
      case "arrayLiteral": return { kind: "arrayLiteral", elements: e.elements.map((x) => this.set(x)) };
      default: {
        const atoms = this.atoms(e, []);
        if (atoms.length === 0) return this.empty();
        return atoms.slice(1).reduce((sum, atom) => this.helper("unionSets", [sum, atom]), atoms[0]!);
      }
    }
  }

  /** The sets of a tangent array's initial value (zeros: empty sets). */
  private arraySets(init: Expr, type: ValueType): Expr {
    switch (init.kind) {
      case "zeros": return this.helper("emptySets", [init.length]);
      case "zerosLike":
        return type.kind === "array" && type.element.kind === "array"
          ? this.helper("emptySetRows", [init.like])
          : this.helper("emptySets", [{ kind: "length", object: init.like }]);
      default: return this.set(init);
    }
  }

  stmts(list: Stmt[]): Stmt[] {
    return list.map((s) => this.stmt(s));
  }

  stmt(s: Stmt): Stmt {
    switch (s.kind) {
      case "declare": {
        if (!this.tangents.has(s.name)) return s;
        if (s.type.kind === "array") {
          const init = this.arraySets(s.init, s.type);
          const empty = init.kind === "arrayLiteral" && init.elements.length === 0;
          return { ...s, init, ...(empty && { annotation: s.type.element.kind === "array" ? "IndexSet[][]" : "IndexSet[]" }) };
        }
        return { ...s, init: this.set(s.init) };
      }
      case "assign": {
        if (!this.isTangent(s.target)) return s;
        const value = s.value.kind === "zeros" || s.value.kind === "zerosLike" ? this.arraySets(s.value, { kind: "array", element: b.NUMBER, container: "array", readonly: false }) : this.set(s.value);
        return { ...s, value };
      }
      case "push": {
        if (s.stack !== "values" || this.atoms(s.value, []).length === 0) return s;
        return { kind: "append", array: this.setStack, value: this.set(s.value) };
      }
      case "append":
        return this.tangents.has(s.array) ? { ...s, value: this.set(s.value) } : s;
      case "fillZero":
        return this.isTangent(s.array) ? { kind: "call", callee: this.callee("clearSets"), args: [s.array] } : s;
      case "return": {
        if (s.value?.kind !== "record") return s;
        return { ...s, value: { ...s.value, fields: s.value.fields.map((f) => (this.atoms(f.value, []).length > 0 || f.name === "tangent" ? { ...f, value: this.set(f.value) } : f)) } };
      }
      case "if": return { ...s, then: this.stmts(s.then), else: this.stmts(s.else) };
      case "loop": return { ...s, init: this.stmts(s.init), update: this.stmts(s.update), body: this.stmts(s.body) };
      case "block": return { ...s, body: this.stmts(s.body) };
      default: return s;
    }
  }

  private callee(name: string): string {
    this.used.add(name);
    return name;
  }
}

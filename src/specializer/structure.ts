// Residual CFG -> structured C: `if`/`else`, `for (;;)`/`while`/`do while`
// with `break` and `continue`, `switch`. After Ramsey, "Beyond Relooper:
// recursive translation of unstructured control flow to structured control
// flow" (ICFP 2022): the dominator tree drives the layout — a node's code is
// followed by the code of the children it dominates that several blocks
// reach (merge nodes), in reverse postorder; a loop header's children outside
// its loop follow the loop; a child only its parent reaches is inlined where
// its parent branches to it. C has no multi-level `br`, so a jump to what
// follows is left out when control falls there anyway, becomes `break` or
// `continue` when the innermost loop or switch leads there, and a labelled
// `goto` otherwise. Edges that make the CFG irreducible (a retreating edge
// whose target does not dominate its source) are left out of the structure
// and kept as `goto`s; C lets them jump into the structured code, whose
// meaning at a point does not depend on how control got there. (Node
// splitting was tried for them — copying what the other entries of a
// multi-entry cycle reach: the copies made glob's residual and random goto
// programs larger and left more gotos, since C cannot `break` out of two
// loops.) Nor are small returning blocks copied to where a goto would reach
// them: tcc compiles a `return` as a jump to the epilogue, and the copies
// made the udp_sendto residual longer and slower. Positions stay on the nodes
// that come from terminators.
import type { SourcePosition } from "../errors.ts";
import { TypeKind, intType } from "../c/types.ts";
import type { Expr, Stmt } from "./ir.ts";
import { type ResidualFunction, successors } from "./specialize.ts";

/** A structured statement; a block's straight-line code is `stmts`, control comes from its terminator (with its position). */
export type SNode =
  | { k: "stmts"; stmts: Stmt[] }
  | { k: "if"; cond: Expr; then: SNode[]; else: SNode[]; pos: SourcePosition }
  | { k: "loop"; body: SNode[] }
  /** `do { ... } while (0)`: a forward exit `break` reaches, where no loop or switch gives one. */
  | { k: "block"; body: SNode[] }
  | { k: "while"; cond: Expr; body: SNode[]; pos: SourcePosition }
  | { k: "dowhile"; body: SNode[]; cond: Expr; pos: SourcePosition }
  | { k: "switch"; value: Expr; arms: SwitchArm[]; pos: SourcePosition }
  | { k: "break" }
  | { k: "continue" }
  | { k: "goto"; label: number }
  | { k: "label"; label: number }
  | { k: "return"; value: Expr | null; pos: SourcePosition };

export interface SwitchArm {
  /** Case values (inclusive ranges); empty for the `default` arm alone. */
  cases: { low: bigint; high: bigint }[];
  default: boolean;
  body: SNode[];
}

export interface StructuredFunction {
  body: SNode[];
  /** `goto`s left: jumps along irreducible edges and exits C's `break`/`continue` cannot express. */
  gotos: number;
  /** Edges left out of the structure because they make the CFG irreducible. */
  irreducibleEdges: number;
}

/**
 * Enclosing constructs; `exit`: the node control reaches after the construct
 * (null: none). A `block` is code some placed node follows: C prints nothing
 * for it until a `break` must reach its exit, then it is `wrapped` (a
 * `do ... while (0)`, which captures `break` and `continue` from then on);
 * a block a `break` or `continue` has already crossed can never be wrapped.
 */
type Frame = { k: "loop"; header: number; exit: number | null } | { k: "switch"; exit: number | null } | { k: "block"; exit: number; wrapped: boolean; crossed: boolean };

/** The enclosing constructs, innermost first: a list whose tail the code nested inside shares, instead of a copy per nesting level. */
interface Frames {
  frame: Frame;
  outer: Frames | null;
}

interface Context {
  frames: Frames | null;
  /** The node whose code control reaches by falling off the end of the code being generated (null: none). */
  fall: number | null;
}

/** Structure the reachable part of a residual function's CFG. */
export function structure(f: ResidualFunction): StructuredFunction {
  const g = new Graph(f);
  const body: SNode[] = [];
  g.tree(0, { frames: null, fall: null }, body);
  const tidied = tidy(body, g.gotoTargets);
  return { body: tidied, gotos: countGotos(tidied), irreducibleEdges: g.irreducible };
}

/**
 * The CFG's reachable part; a node is a block's position in reverse
 * postorder (the entry is 0), so that the analyses run over arrays.
 */
class Graph {
  /** Block ids by node, and nodes by block id. */
  private readonly order: number[];
  private readonly nodeOf: number[] = [];
  /** Each node's successors (once each) and predecessors, irreducible edges left out. */
  private readonly succ: number[][];
  private readonly preds: number[][];
  private idom: number[];
  /** Nodes each node immediately dominates, in reverse postorder. */
  private readonly children: number[][];
  /** Retreating edges whose target does not dominate their source, as `src * n + tgt`. */
  private readonly gotoEdges = new Set<number>();
  /** Loop headers and which nodes are in each one's natural loop. */
  private readonly loops = new Map<number, Set<number>>();
  /** Nodes whose code is laid out after their dominator's (merge nodes, loop exits); the rest are inlined at their only predecessor's branch. */
  private readonly placed: boolean[];
  /** Blocks (ids, as labels name them) a `goto` reaches. */
  readonly gotoTargets = new Set<number>();
  irreducible = 0;

  constructor(private readonly f: ResidualFunction) {
    const dfs = depthFirst(f);
    this.order = dfs.order;
    const n = this.order.length;
    const node = this.nodeOf;
    this.order.forEach((id, i) => (node[id] = i));
    this.succ = [];
    this.preds = this.order.map(() => []);
    for (let i = 0; i < n; i++) {
      const out: number[] = [];
      for (const id of dfs.succ[this.order[i]!]!) {
        const s = node[id]!;
        if (out.includes(s)) continue;
        out.push(s);
        this.preds[s]!.push(i);
      }
      this.succ.push(out);
    }
    this.idom = this.dominators();
    // irreducible edges leave the graph; what remains has the same depth-first tree, and is reducible
    for (let i = 0; i < n; i++) {
      for (const s of this.succ[i]!) {
        if (s <= i && !this.dominates(s, i)) {
          this.gotoEdges.add(i * n + s);
          const ps = this.preds[s]!;
          ps.splice(ps.indexOf(i), 1);
          this.irreducible++;
        }
      }
    }
    if (this.irreducible > 0) this.idom = this.dominators();
    this.children = this.order.map(() => []);
    for (let i = 1; i < n; i++) this.children[this.idom[i]!]!.push(i);
    this.placed = [];
    for (let i = 0; i < n; i++) {
      let forward = 0;
      let back = false;
      for (const p of this.preds[i]!) {
        if (p < i) forward++;
        else back = true;
      }
      this.placed.push(forward > 1);
      if (back) this.loops.set(i, this.naturalLoop(i, this.preds[i]!.filter((p) => p >= i)));
    }
    for (const [header, body] of this.loops) for (const c of this.children[header]!) if (!body.has(c)) this.placed[c] = true;
  }

  /** Cooper, Harvey & Kennedy, "A simple, fast dominance algorithm": each node's immediate dominator. */
  private dominators(): number[] {
    const n = this.order.length;
    const idom = new Array<number>(n).fill(-1);
    idom[0] = 0;
    const intersect = (a: number, b: number): number => {
      while (a !== b) {
        while (a > b) a = idom[a]!;
        while (b > a) b = idom[b]!;
      }
      return a;
    };
    for (let changed = true; changed; ) {
      changed = false;
      for (let i = 1; i < n; i++) {
        let d = -1;
        for (const p of this.preds[i]!) if (idom[p] !== -1) d = d === -1 ? p : intersect(p, d);
        if (d !== -1 && idom[i] !== d) {
          idom[i] = d;
          changed = true;
        }
      }
    }
    return idom;
  }

  private dominates(a: number, b: number): boolean {
    for (let cur = b; ; cur = this.idom[cur]!) {
      if (cur === a) return true;
      if (cur === 0) return false;
    }
  }

  private naturalLoop(header: number, latches: number[]): Set<number> {
    const body = new Set<number>([header]);
    const work = latches.filter((l) => l !== header);
    for (const l of work) body.add(l);
    while (work.length) {
      for (const p of this.preds[work.pop()!]!) {
        if (!body.has(p)) {
          body.add(p);
          work.push(p);
        }
      }
    }
    return body;
  }

  /** The code of node `x` and of what it dominates, appended to `out`. */
  tree(x: number, ctx: Context, out: SNode[]): void {
    out.push({ k: "label", label: this.order[x]! });
    const loop = this.loops.get(x);
    // (children are in reverse postorder already)
    const kids = this.children[x]!.filter((c) => this.placed[c]);
    const own = (c: Context, o: SNode[]): void => this.within(x, c, o);
    if (!loop) return this.sequence(own, kids, ctx, out);
    // the loop's exits follow the loop, in reverse postorder; merge nodes inside it follow the header's code in the loop body
    const body = (outer: Context, o: SNode[]): void => {
      const inner: Context = { frames: { frame: { k: "loop", header: x, exit: outer.fall }, outer: outer.frames }, fall: x };
      const nodes: SNode[] = [];
      this.sequence(own, kids.filter((c) => loop.has(c)), inner, nodes);
      o.push({ k: "loop", body: nodes });
    };
    this.sequence(body, kids.filter((c) => !loop.has(c)), ctx, out);
  }

  /**
   * `first`'s code, then the code of each of `ys` (in reverse postorder), each
   * reached by falling off what precedes it or by a jump out of it; appended to `out`.
   */
  private sequence(first: (ctx: Context, out: SNode[]) => void, ys: number[], ctx: Context, out: SNode[]): void {
    // (most nodes have no code after them)
    if (ys.length === 0) return first(ctx, out);
    const start = out.length;
    const blocks = ys.map((y): Frame & { k: "block" } => ({ k: "block", exit: y, wrapped: false, crossed: false }));
    // block i encloses `first` and ys[0..i-1]: the outermost is the last one's; within[i] is what encloses ys[i-1]
    const within: (Frames | null)[] = [];
    within[ys.length] = ctx.frames;
    for (let i = ys.length - 1; i >= 0; i--) within[i] = { frame: blocks[i]!, outer: within[i + 1]! };
    first({ frames: within[0]!, fall: ys[0] ?? ctx.fall }, out);
    ys.forEach((y, i) => {
      if (blocks[i]!.wrapped) out.push({ k: "block", body: out.splice(start) });
      this.tree(y, { frames: within[i + 1]!, fall: ys[i + 1] ?? ctx.fall }, out);
    });
  }

  /** `x`'s own code and its branches. */
  private within(x: number, ctx: Context, out: SNode[]): void {
    const b = this.f.blocks[this.order[x]!]!;
    if (b.stmts.length) out.push({ k: "stmts", stmts: b.stmts });
    this.terminator(x, ctx, out);
  }

  private terminator(x: number, ctx: Context, out: SNode[]): void {
    const t = this.f.blocks[this.order[x]!]!.term;
    const node = this.nodeOf;
    switch (t.k) {
      case "goto":
        return this.branch(x, node[t.target]!, ctx, out);
      case "if": {
        // both ways to the same block: the test has no side effects
        if (t.then === t.else) return this.branch(x, node[t.then]!, ctx, out);
        const then: SNode[] = [];
        const other: SNode[] = [];
        this.branch(x, node[t.then]!, ctx, then);
        this.branch(x, node[t.else]!, ctx, other);
        out.push({ k: "if", cond: t.cond, then, else: other, pos: t.pos });
        return;
      }
      case "return":
        out.push({ k: "return", value: t.value, pos: t.pos });
        return;
      case "switch": {
        const inner: Context = { frames: { frame: { k: "switch", exit: ctx.fall }, outer: ctx.frames }, fall: ctx.fall };
        const targets = new Map<number, SwitchArm>();
        const arm = (target: number): SwitchArm => {
          let a = targets.get(target);
          if (!a) targets.set(target, (a = { cases: [], default: false, body: [] }));
          return a;
        };
        for (const c of t.cases) arm(node[c.target]!).cases.push({ low: c.low, high: c.high });
        arm(node[t.default]!).default = true;
        const arms = [...targets.keys()]
          .sort((a, b) => a - b)
          .map((target, i, all) => {
            const a = targets.get(target)!;
            this.branch(x, target, inner, a.body);
            // an arm that can end falls into the next arm: leave the switch instead
            if (i < all.length - 1 && !endsInJump(a.body)) a.body.push({ k: "break" });
            return a;
          });
        out.push({ k: "switch", value: t.value, arms, pos: t.pos });
        return;
      }
    }
  }

  /** Control from `src` to `tgt`, appended to `out`. */
  private branch(src: number, tgt: number, ctx: Context, out: SNode[]): void {
    if (this.gotoEdges.has(src * this.order.length + tgt)) {
      out.push(this.goto(tgt));
      return;
    }
    const back = tgt <= src;
    if (!back && !this.placed[tgt]) return this.tree(tgt, ctx, out);
    if (ctx.fall === tgt) return;
    // the innermost construct `continue` (back) or `break` (forward) leaves, through the blocks it crosses
    const crossed: (Frame & { k: "block" })[] = [];
    for (let l = ctx.frames; l; l = l.outer) {
      const fr = l.frame;
      let jump: SNode | null = null;
      if (fr.k === "block" && !fr.wrapped) {
        if (back || fr.exit !== tgt || fr.crossed) {
          crossed.push(fr);
          continue;
        }
        fr.wrapped = true;
        jump = { k: "break" };
      } else if (back) {
        if (fr.k === "switch") continue;
        if (fr.k === "loop" && fr.header === tgt) jump = { k: "continue" };
      } else if (fr.exit === tgt) jump = { k: "break" };
      if (!jump) break;
      for (const c of crossed) c.crossed = true;
      out.push(jump);
      return;
    }
    out.push(this.goto(tgt));
  }

  private goto(tgt: number): SNode {
    const label = this.order[tgt]!;
    this.gotoTargets.add(label);
    return { k: "goto", label };
  }
}

function endsInJump(nodes: SNode[]): boolean {
  const last = nodes.at(-1);
  return last !== undefined && (last.k === "return" || last.k === "break" || last.k === "continue" || last.k === "goto");
}

/** Whether `nodes` contain a `continue` of the loop they are the body of. */
function continues(nodes: SNode[]): boolean {
  return nodes.some((n) => {
    switch (n.k) {
      case "continue":
        return true;
      case "if":
        return continues(n.then) || continues(n.else);
      case "switch":
        return n.arms.some((a) => continues(a.body));
      default:
        return false;
    }
  });
}

function countGotos(nodes: SNode[]): number {
  let n = 0;
  for (const s of nodes) {
    if (s.k === "goto") n++;
    else if (s.k === "if") n += countGotos(s.then) + countGotos(s.else);
    else if (s.k === "loop" || s.k === "while" || s.k === "dowhile" || s.k === "block") n += countGotos(s.body);
    else if (s.k === "switch") for (const a of s.arms) n += countGotos(a.body);
  }
  return n;
}

/** `!cond`, with comparisons of integers and pointers inverted and double negation removed. */
export function negate(cond: Expr): Expr {
  if (cond.k === "unary" && cond.op === "!") return cond.arg;
  const inverse = { "==": "!=", "!=": "==", "<": ">=", ">=": "<", ">": "<=", "<=": ">" } as const;
  // a float comparison with a NaN is false both ways round
  if (cond.k === "binary" && cond.op in inverse && cond.opType.kind !== TypeKind.Float) return { ...cond, op: inverse[cond.op as keyof typeof inverse] };
  return { k: "unary", type: intType, op: "!", arg: cond };
}

/**
 * Readable shapes: labels nobody jumps to go, and so does code after a jump
 * that no label makes reachable; an `if` one of whose arms ends
 * in a jump guards that arm and lets the other follow it; `for (;;)` opening
 * with `if (c) break;` is `while (!c)`, and one closing with it (with no
 * `continue`, which would skip the test) is `do ... while (!c)`. The nodes
 * are the structuring's own: they change in place.
 */
function tidy(nodes: SNode[], labels: Set<number>): SNode[] {
  const out: SNode[] = [];
  for (const n of nodes) {
    // nothing after a jump runs, up to a label jumped to
    if (endsInJump(out) && !(n.k === "label" && labels.has(n.label))) continue;
    switch (n.k) {
      case "label":
        if (labels.has(n.label)) out.push(n);
        break;
      case "if": {
        let then = tidy(n.then, labels);
        let other = tidy(n.else, labels);
        let cond = n.cond;
        if (then.length === 0 && other.length === 0) break;
        // guard with the arm that ends in a jump (the shorter one when both do), the other arm follows
        const thenJumps = endsInJump(then);
        const elseJumps = endsInJump(other);
        if ((elseJumps && !thenJumps) || (elseJumps && thenJumps && size(other) < size(then)) || then.length === 0) {
          [then, other] = [other, then];
          cond = negate(cond);
        }
        n.cond = cond;
        n.then = then;
        if (endsInJump(then)) {
          n.else = [];
          out.push(n, ...other);
        } else {
          n.else = other;
          out.push(n);
        }
        break;
      }
      case "loop": {
        const body = tidy(n.body, labels);
        const first = body[0];
        const last = body.at(-1);
        if (first && isBreakTest(first)) out.push(...rotate(negate(first.cond), body.slice(1), first.pos));
        else if (last && isBreakTest(last) && !continues(body.slice(0, -1))) out.push({ k: "dowhile", body: body.slice(0, -1), cond: negate(last.cond), pos: last.pos });
        else {
          n.body = body;
          out.push(n);
        }
        break;
      }
      case "while":
      case "dowhile":
      case "block":
        n.body = tidy(n.body, labels);
        out.push(n);
        break;
      case "switch":
        for (const a of n.arms) a.body = tidy(a.body, labels);
        out.push(n);
        break;
      default:
        out.push(n);
    }
  }
  return out;
}

/** Nodes in an expression: what repeating it costs. */
export function exprSize(e: Expr): number {
  // walked as `operands` lists them, without building their arrays (copy propagation asks it of every assignment it considers)
  switch (e.k) {
    case "load":
    case "bitload":
    case "field":
      return 1 + exprSize(e.addr);
    case "ptradd":
      return 1 + exprSize(e.ptr) + exprSize(e.index);
    case "ptrdiff":
    case "binary":
      return 1 + exprSize(e.left) + exprSize(e.right);
    case "unary":
    case "cast":
      return 1 + exprSize(e.arg);
    default:
      return 1;
  }
}

/**
 * `while (c) B` as `if (c) do B while (c);` when `c` is small: one jump per
 * iteration instead of two (tcc tests a `while` at the top and jumps back).
 * `continue` in a `do` goes to the test, as in the `while`.
 */
function rotate(cond: Expr, body: SNode[], pos: SourcePosition): SNode[] {
  const loop: SNode = { k: "while", cond, body, pos };
  if (exprSize(cond) > ROTATE_MAX) return [loop];
  return [{ k: "if", cond, then: [{ k: "dowhile", body, cond, pos }], else: [], pos }];
}

/** The largest loop test (in expression nodes) repeated to rotate a loop. */
const ROTATE_MAX = 12;

/** `if (c) break;` */
function isBreakTest(n: SNode): n is Extract<SNode, { k: "if" }> {
  return n.k === "if" && n.else.length === 0 && n.then.length === 1 && n.then[0]!.k === "break";
}

function size(nodes: SNode[]): number {
  let n = 0;
  for (const s of nodes) {
    n++;
    if (s.k === "stmts") n += s.stmts.length;
    else if (s.k === "if") n += size(s.then) + size(s.else);
    else if (s.k === "loop" || s.k === "while" || s.k === "dowhile" || s.k === "block") n += size(s.body);
    else if (s.k === "switch") for (const a of s.arms) n += size(a.body);
  }
  return n;
}

/** The reachable blocks of `f` in a reverse postorder of its CFG. */
export function reversePostorder(f: ResidualFunction): number[] {
  return depthFirst(f).order;
}

/**
 * The reachable blocks of `f` in a reverse postorder of its CFG, and the
 * successors of each (by block id; undefined for the blocks not reached).
 * Iterative: residual functions can be long chains.
 */
function depthFirst(f: ResidualFunction): { order: number[]; succ: number[][] } {
  const succ: number[][] = [];
  const post: number[] = [];
  // the path from the entry, and how many successors of each block on it were taken
  const path = [f.entry];
  const taken = [0];
  succ[f.entry] = successors(f.blocks[f.entry]!.term);
  while (path.length) {
    const top = path.length - 1;
    const id = path[top]!;
    const next = succ[id]![taken[top]!];
    if (next === undefined) {
      post.push(id);
      path.pop();
      taken.pop();
      continue;
    }
    taken[top]!++;
    if (succ[next] === undefined) {
      succ[next] = successors(f.blocks[next]!.term);
      path.push(next);
      taken.push(0);
    }
  }
  return { order: post.reverse(), succ };
}

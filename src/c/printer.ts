// Printer: typed AST -> C source that compiles with tcc and means the same.
// Declarations are printed from their types (declarators rebuilt around the
// declaration's base type, typedef names kept); struct/union/enum bodies are
// printed where they were defined; records laid out under `#pragma pack` get
// the pragma back around their declaration. Used to emit residual code.
import {
  type Attribute,
  type BlockItem,
  type Declaration,
  type Designator,
  type Expr,
  type ExternalDecl,
  type FunctionDef,
  type InitList,
  NodeKind,
  type Program,
  type SourcePosition,
  type Stmt,
  type StorageClass,
  type StringLit,
} from "./ast.ts";
import {
  type CallingConvention,
  type CType,
  type EnumDef,
  type FunctionType,
  Q_ATOMIC,
  Q_CONST,
  Q_RESTRICT,
  Q_VOLATILE,
  type RecordDef,
  TypeKind,
  conventionAttribute,
} from "./types.ts";

export interface PrintOptions {
  /**
   * Put a `#line N "file"` directive before every declaration and statement,
   * so a compiler's diagnostics on the printed code (residual code) name the
   * original source positions.
   */
  lineMarkers?: boolean;
}

/** How types are written in generated code (see `declarationPrinter`). */
export interface TypeOptions {
  /** The name a record type is written with (default: `struct tag`), e.g. a name unique in a generated translation unit. */
  recordName?: (def: RecordDef) => string;
  /**
   * Spell types out from their structure, for code outside the scopes of the
   * original declarations: no typedef names, enumerated types as their
   * integer type, function types without parameter names (parameters with
   * their adjusted types), array bounds without variable-length expressions,
   * qualifiers `const` and `volatile` only.
   */
  structural?: boolean;
}

/** A printer of declarations (`declare(t, "x")` is `int *x` for a pointer to int; `declare(t, "")` the type name). */
export function declarationPrinter(options: TypeOptions): (t: CType, name: string) => string {
  const p = new Printer(false, options);
  return (t, name) => p.declare(t, name);
}

/** Print a whole program. */
export function printProgram(program: Program, options: PrintOptions = {}): string {
  const p = new Printer(options.lineMarkers ?? false);
  return program.decls.map((d) => p.externalDecl(d)).join("");
}

/** Print one expression (for diagnostics and residual code). */
export function printExpr(e: Expr): string {
  return new Printer().expr(e, 0);
}

/** Print a type as a type name, e.g. `unsigned int (*)[4]`. */
export function printType(t: CType): string {
  return new Printer().typeName(t);
}

// Precedence levels (higher binds tighter); the residual printer (specializer/residualize.ts) uses them too.
const P_COMMA = 1;
const P_ASSIGN = 2;
const P_COND = 3;
export const P_UNARY = 14;
export const P_POSTFIX = 15;
export const P_PRIMARY = 16;
export const BINARY_PREC: Record<string, number> = {
  "||": 4, "&&": 5, "|": 6, "^": 7, "&": 8, "==": 9, "!=": 9, "<": 10, ">": 10, "<=": 10, ">=": 10, "<<": 11, ">>": 11, "+": 12, "-": 12, "*": 13, "/": 13, "%": 13,
};

class Printer {
  /** Tag definitions of the current external declaration not yet printed. */
  private pending = new Set<RecordDef | EnumDef>();
  private indent = "";

  constructor(
    private readonly lineMarkers = false,
    private readonly types: TypeOptions = {},
  ) {}

  private get structural(): boolean {
    return this.types.structural === true;
  }

  /** The `#line` directive for a node at `pos`, when markers are on. */
  private marker(pos: SourcePosition): string {
    return this.lineMarkers ? `#line ${pos.line} ${stringLiteral(pos.file, "")}\n` : "";
  }

  externalDecl(d: ExternalDecl): string {
    switch (d.kind) {
      case NodeKind.StaticAssert:
        return `${this.marker(d.pos)}_Static_assert(${this.expr(d.cond, P_ASSIGN)}${d.message !== null ? `, ${stringLiteral(d.message, "")}` : ""});\n`;
      case NodeKind.TopAsm:
        return `${this.marker(d.pos)}__asm__(${stringLiteral(d.template, "")});\n`;
      case NodeKind.FunctionDef: {
        // records defined in the body get their pragma where they are declared; these are the signature's
        const local = new Set(localDefines(d.body.items));
        return this.withPack(d.defines, d.defines.filter((x) => !local.has(x)), () => this.marker(d.pos) + this.functionDef(d));
      }
      case NodeKind.Declaration:
        return this.withPack(d.defines, d.defines, () => this.marker(d.pos) + this.declaration(d) + "\n");
    }
  }

  /** Print `body` with `defines` pending, inside the pragmas that laid out `laidOut`. */
  private withPack(defines: (RecordDef | EnumDef)[], laidOut: (RecordDef | EnumDef)[], body: () => string): string {
    for (const d of defines) this.pending.add(d);
    const text = body();
    this.pending.clear();
    return withPragmas(laidOut, text);
  }

  private functionDef(d: FunctionDef): string {
    const attrs = attributes([...d.attrs, ...d.sym.attrs.filter((a) => !d.attrs.includes(a))], (e) => this.expr(e, P_ASSIGN));
    const params = d.params.map((p) => p.name);
    const sharedBase = !isDerived(d.baseType) || d.baseType.typedefName !== undefined;
    const around = sharedBase && this.declarator(d.type, d.baseType, "", params) !== null ? d.baseType : leafOf(d.type);
    const head = [storage(d.storage), d.inline ? "inline" : "", this.specifier(around), attrs].filter((s) => s !== "").join(" ");
    const decl = this.declarator(d.type, around, d.sym.name, params)!;
    const asm = d.sym.asmLabel !== undefined ? ` __asm__(${stringLiteral(d.sym.asmLabel, "")})` : "";
    return `${head} ${decl}${asm}\n${this.compound(d.body.items)}\n`;
  }

  private declaration(d: Declaration): string {
    const prefix = [d.extension ? "__extension__" : "", storage(d.storage), d.inline ? "inline" : "", d.threadLocal ? "_Thread_local" : ""].filter((s) => s !== "").join(" ");
    // attributes written among the specifiers stay after the type, where tcc applies them to every declarator
    const specAttrs = attributes(d.attrs, (e) => this.expr(e, P_ASSIGN));
    const spec = this.specifier(d.baseType) + (specAttrs ? " " + specAttrs : "");
    if (d.declarators.length === 0) return `${prefix ? prefix + " " : ""}${spec};`;
    const parts: string[] = [];
    const separate: string[] = [];
    // a base type from typeof can itself be derived; then each declarator is printed whole
    const sharedBase = !isDerived(d.baseType) || d.baseType.typedefName !== undefined;
    for (const decl of d.declarators) {
      let text = sharedBase ? this.declarator(decl.type, d.baseType, decl.sym.name) : null;
      let own = false;
      if (text === null) {
        text = this.declarator(decl.type, leafOf(decl.type), decl.sym.name)!;
        own = true;
      }
      if (decl.sym.asmLabel !== undefined) text += ` __asm__(${stringLiteral(decl.sym.asmLabel, "")})`;
      const attrs = attributes(decl.attrs, (e) => this.expr(e, P_ASSIGN));
      if (attrs) text += " " + attrs;
      // _Alignas in the specifiers became the declared object's alignment
      const align = decl.type.alignAttr;
      if (align && align !== d.baseType.alignAttr && !decl.attrs.some((a) => a.name === "aligned")) text += ` __attribute__((aligned(${align})))`;
      if (decl.init) text += " = " + this.initializer(decl.init);
      if (own) separate.push(`${prefix ? prefix + " " : ""}${this.specifier(leafOf(decl.type))} ${text};`);
      else parts.push(text);
    }
    const main = parts.length ? `${prefix ? prefix + " " : ""}${spec} ${parts.join(", ")};` : "";
    return [main, ...separate].filter((s) => s !== "").join("\n" + this.indent);
  }

  // ---- types ----

  /** The declaration-specifier text of a leaf type (qualifiers, typedef name or base type, tag bodies). */
  specifier(t: CType): string {
    const q = quals(t.quals & (this.structural ? Q_CONST | Q_VOLATILE : ~Q_RESTRICT));
    const name = this.baseName(t);
    return q ? `${q} ${name}` : name;
  }

  private baseName(t: CType): string {
    if (t.typedefName !== undefined && !this.structural) return t.typedefName;
    switch (t.kind) {
      case TypeKind.Void:
        return "void";
      case TypeKind.Bool:
        return "_Bool";
      case TypeKind.Int: {
        if (t.rank === "char") return t.plainChar ? "char" : t.signed ? "signed char" : "unsigned char";
        const base = { short: "short", int: "int", long: "long", llong: "long long", int128: "__int128" }[t.rank];
        return t.signed ? base : `unsigned ${base}`;
      }
      case TypeKind.Float:
        return { float: "float", double: "double", ldouble: "long double" }[t.rank];
      case TypeKind.Record:
        return this.types.recordName ? this.types.recordName(t.def) : this.recordSpecifier(t.def);
      case TypeKind.Enum:
        return this.structural ? this.baseName(t.def.underlying) : this.enumSpecifier(t.def);
      default:
        // derived types never reach here: leafOf stops at non-derived types or typedef names
        return this.typeName(t);
    }
  }

  private recordSpecifier(def: RecordDef): string {
    const kw = def.union ? "union" : "struct";
    if (!this.pending.has(def) || def.fields === null) return def.tag !== null ? `${kw} ${def.tag}` : `${kw} /* anonymous */`;
    this.pending.delete(def);
    const saved = this.indent;
    this.indent += "  ";
    const lines = def.fields.map((f) => {
      let text: string;
      if (f.anonymous) text = this.specifier(f.type);
      else {
        const leaf = leafOf(f.type);
        text = `${this.specifier(leaf)} ${this.declarator(f.type, leaf, f.name ?? "")}`.trimEnd();
      }
      if (f.bitWidth !== null) text += ` : ${f.bitWidth}`;
      const attrs = attributes(f.attrs, (e) => this.expr(e, P_ASSIGN));
      if (attrs) text += " " + attrs;
      // _Alignas on a member is kept as its alignment, not as an attribute
      if (f.alignAttr && !f.attrs.some((a) => a.name === "aligned")) text = `_Alignas(${f.alignAttr}) ${text}`;
      return `${this.indent}${text};`;
    });
    this.indent = saved;
    const attrs = attributes(def.attrs, (e) => this.expr(e, P_ASSIGN));
    return `${kw} ${attrs ? attrs + " " : ""}${def.tag !== null ? def.tag + " " : ""}{\n${lines.join("\n")}\n${this.indent}}`;
  }

  private enumSpecifier(def: EnumDef): string {
    if (!this.pending.has(def) || def.constants === null) return `enum ${def.tag ?? "/* anonymous */"}`;
    this.pending.delete(def);
    const items = def.constants.map((c) => `${c.name} = ${c.value < 0n ? `(${c.value})` : String(c.value)}`);
    return `enum ${def.tag !== null ? def.tag + " " : ""}{ ${items.join(", ")} }`;
  }

  /**
   * The declarator text for `name` of type `t` built around `base`; null when
   * `t` is not derived from `base` (the caller then prints its own specifier).
   */
  declarator(t: CType, base: CType, name: string, paramNames?: string[]): string | null {
    let inner = name;
    let cur = t;
    let params = paramNames;
    // a function type's calling convention starts the parenthesized declarator of a pointer to it, else its own
    let conventionPrinted = false;
    for (;;) {
      if (cur === base) return inner;
      if ((cur.typedefName !== undefined && !this.structural) || !isDerived(cur)) return null;
      if (cur.kind === TypeKind.Pointer) {
        const q = quals(this.structural ? cur.quals & (Q_CONST | Q_VOLATILE) : cur.quals);
        inner = `*${q}${q && inner ? " " : ""}${inner}`;
        if (cur.to.kind === TypeKind.Array || cur.to.kind === TypeKind.Function) {
          if (cur.to.typedefName === undefined || this.structural) {
            const convention = cur.to.kind === TypeKind.Function && cur.to.convention;
            inner = convention ? `(${conventionText(convention)} ${inner})` : `(${inner})`;
            conventionPrinted = cur.to.kind === TypeKind.Function;
          }
        }
        cur = cur.to;
      } else if (cur.kind === TypeKind.Array) {
        const size = cur.vla && !this.structural ? this.expr(cur.vla, P_ASSIGN) : cur.length !== null ? String(cur.length) : "";
        inner = `${inner}[${size}]`;
        cur = cur.of;
      } else if (cur.kind === TypeKind.Function) {
        if (cur.convention && !conventionPrinted) inner = `${conventionText(cur.convention)}${inner ? " " : ""}${inner}`;
        inner = `${inner}(${this.paramList(cur, params)})`;
        conventionPrinted = false;
        params = undefined;
        cur = cur.ret;
      } else {
        return null;
      }
    }
  }

  private paramList(fn: FunctionType, names?: string[]): string {
    if (!fn.prototyped) return "";
    if (fn.params.length === 0) return fn.variadic ? "..." : "void";
    const parts = fn.params.map((p, i) => {
      const type = this.structural ? p.type : (p.declared ?? p.type);
      const leaf = leafOf(type, this.structural);
      const name = this.structural ? "" : (names?.[i] ?? p.name ?? "");
      return `${this.specifier(leaf)} ${this.declarator(type, leaf, name)}`.trimEnd();
    });
    if (fn.variadic) parts.push("...");
    return parts.join(", ");
  }

  /** An abstract type name: `int *`, `struct s (*)[3]`. */
  typeName(t: CType): string {
    return this.declare(t, "");
  }

  /** A declaration of `name` with type `t`, without storage class or initializer. */
  declare(t: CType, name: string): string {
    const leaf = leafOf(t, this.structural);
    return `${this.specifier(leaf)} ${this.declarator(t, leaf, name)}`.trimEnd();
  }

  // ---- statements ----

  private compound(items: BlockItem[]): string {
    const saved = this.indent;
    this.indent += "  ";
    const body = items.map((s) => this.blockItem(s)).join("");
    this.indent = saved;
    return `${this.indent}{\n${body}${this.indent}}`;
  }

  private blockItem(s: BlockItem): string {
    if (s.kind === NodeKind.Declaration) {
      for (const d of s.defines) this.pending.add(d);
      return withPragmas(s.defines, `${this.marker(s.pos)}${this.indent}${this.declaration(s)}\n`);
    }
    if (s.kind === NodeKind.StaticAssert) return `${this.indent}${this.externalDecl(s)}`;
    return this.stmt(s);
  }

  /** A statement as a body: compound statements keep their braces at the current indent. */
  private body(s: Stmt): string {
    if (s.kind === NodeKind.Compound) return this.stmt(s);
    const saved = this.indent;
    this.indent += "  ";
    const text = this.stmt(s);
    this.indent = saved;
    return text;
  }

  private stmt(s: Stmt): string {
    return this.marker(s.pos) + this.stmtText(s);
  }

  private stmtText(s: Stmt): string {
    const ind = this.indent;
    switch (s.kind) {
      case NodeKind.Compound:
        return this.compound(s.items) + "\n";
      case NodeKind.ExprStmt:
        return `${ind}${this.expr(s.expr, P_COMMA)};\n`;
      case NodeKind.Empty:
        return `${ind};\n`;
      case NodeKind.If: {
        let text = `${ind}if (${this.expr(s.cond, P_COMMA)})\n${this.body(s.then)}`;
        if (s.else) text += `${ind}else\n${this.body(s.else)}`;
        return text;
      }
      case NodeKind.While:
        return `${ind}while (${this.expr(s.cond, P_COMMA)})\n${this.body(s.body)}`;
      case NodeKind.DoWhile:
        return `${ind}do\n${this.body(s.body)}${ind}while (${this.expr(s.cond, P_COMMA)});\n`;
      case NodeKind.For: {
        let init = ";";
        if (s.init && s.init.kind === NodeKind.Declaration) {
          for (const d of s.init.defines) this.pending.add(d);
          init = this.declaration(s.init);
        } else if (s.init) init = this.expr(s.init, P_COMMA) + ";";
        const cond = s.cond ? " " + this.expr(s.cond, P_COMMA) : "";
        const step = s.step ? " " + this.expr(s.step, P_COMMA) : "";
        return `${ind}for (${init}${cond};${step})\n${this.body(s.body)}`;
      }
      case NodeKind.Switch:
        return `${ind}switch (${this.expr(s.expr, P_COMMA)})\n${this.body(s.body)}`;
      case NodeKind.Case: {
        const range = s.high ? ` ... ${this.expr(s.high, P_COND)}` : "";
        return `${ind}case ${this.expr(s.value, P_COND)}${range}:\n${this.stmt(s.body)}`;
      }
      case NodeKind.Default:
        return `${ind}default:\n${this.stmt(s.body)}`;
      case NodeKind.Label: {
        const attrs = attributes(s.attrs, (e) => this.expr(e, P_ASSIGN));
        return `${ind}${s.name}:${attrs ? " " + attrs : ""}\n${this.stmt(s.body)}`;
      }
      case NodeKind.Goto:
        return `${ind}goto ${s.label};\n`;
      case NodeKind.ComputedGoto:
        return `${ind}goto *${this.expr(s.target, P_UNARY)};\n`;
      case NodeKind.Break:
        return `${ind}break;\n`;
      case NodeKind.Continue:
        return `${ind}continue;\n`;
      case NodeKind.Return:
        return s.value ? `${ind}return ${this.expr(s.value, P_COMMA)};\n` : `${ind}return;\n`;
      case NodeKind.Asm: {
        const ops = (list: typeof s.outputs): string =>
          list.map((o) => `${o.name !== null ? `[${o.name}] ` : ""}${stringLiteral(o.constraint, "")} (${this.expr(o.expr, P_COMMA)})`).join(", ");
        const sections = [ops(s.outputs), ops(s.inputs), s.clobbers.map((c) => stringLiteral(c, "")).join(", "), s.labels.join(", ")];
        while (sections.length && sections[sections.length - 1] === "") sections.pop();
        const tail = sections.map((x) => ` : ${x}`).join("");
        const q = s.qualifiers.length ? " " + s.qualifiers.join(" ") : "";
        return `${ind}__asm__${q}(${stringLiteral(s.template, "")}${tail});\n`;
      }
    }
  }

  // ---- expressions ----

  expr(e: Expr, min: number): string {
    const [text, prec] = this.exprPrec(e);
    return prec < min ? `(${text})` : text;
  }

  private exprPrec(e: Expr): [string, number] {
    switch (e.kind) {
      case NodeKind.IntLit:
        return [e.text ?? intLiteral(e.value, e.type), e.text === undefined && e.value < 0n ? P_UNARY : P_PRIMARY];
      case NodeKind.FloatLit:
        return [e.text ?? floatLiteral(e.value, e.type), P_PRIMARY];
      case NodeKind.StringLit:
        return [stringLit(e), P_PRIMARY];
      case NodeKind.Ident:
        return [e.name, P_PRIMARY];
      case NodeKind.Unary: {
        const operand = this.expr(e.operand, P_UNARY);
        const glue = /^[+\-&*]/.test(operand) && (e.op === "+" || e.op === "-" || e.op === "&" || e.op === "++" || e.op === "--") ? " " : "";
        return [`${e.op}${glue}${operand}`, P_UNARY];
      }
      case NodeKind.Postfix:
        return [`${this.expr(e.operand, P_POSTFIX)}${e.op}`, P_POSTFIX];
      case NodeKind.Binary: {
        const p = BINARY_PREC[e.op]!;
        return [`${this.expr(e.left, p)} ${e.op} ${this.expr(e.right, p + 1)}`, p];
      }
      case NodeKind.Assign:
        return [`${this.expr(e.target, P_UNARY)} ${e.op} ${this.expr(e.value, P_ASSIGN)}`, P_ASSIGN];
      case NodeKind.Conditional: {
        const then = e.then ? ` ${this.expr(e.then, P_COMMA)} ` : "";
        return [`${this.expr(e.cond, P_COND + 1)} ?${then}: ${this.expr(e.else, P_COND)}`, P_COND];
      }
      case NodeKind.Comma:
        return [`${this.expr(e.left, P_COMMA)}, ${this.expr(e.right, P_ASSIGN)}`, P_COMMA];
      case NodeKind.Call:
        return [`${this.expr(e.callee, P_POSTFIX)}(${e.args.map((a) => this.expr(a, P_ASSIGN)).join(", ")})`, P_POSTFIX];
      case NodeKind.Index:
        return [`${this.expr(e.base, P_POSTFIX)}[${this.expr(e.index, P_COMMA)}]`, P_POSTFIX];
      case NodeKind.Member:
        return [`${this.expr(e.base, P_POSTFIX)}${e.arrow ? "->" : "."}${e.name}`, P_POSTFIX];
      case NodeKind.Cast:
        return [`(${this.typeName(e.type)})${this.expr(e.operand, P_UNARY)}`, P_UNARY];
      case NodeKind.SizeofType:
        return [`sizeof(${this.typeName(e.of)})`, P_UNARY];
      case NodeKind.SizeofExpr:
        return [`sizeof(${this.expr(e.operand, P_COMMA)})`, P_UNARY];
      case NodeKind.AlignofType:
        return [`${e.keyword}(${this.typeName(e.of)})`, P_UNARY];
      case NodeKind.AlignofExpr:
        return [`__alignof__(${this.expr(e.operand, P_COMMA)})`, P_UNARY];
      case NodeKind.CompoundLiteral:
        return [`(${this.typeName(e.type)})${this.initList(e.init)}`, P_POSTFIX];
      case NodeKind.StmtExpr:
        return [`(${this.compound(e.body.items).trimStart()})`, P_PRIMARY];
      case NodeKind.Generic: {
        const assocs = e.assocs.map((a) => `${a.type ? this.typeName(a.type) : "default"}: ${this.expr(a.expr, P_ASSIGN)}`);
        return [`_Generic(${this.expr(e.control, P_ASSIGN)}, ${assocs.join(", ")})`, P_PRIMARY];
      }
      case NodeKind.LabelAddr:
        return [`&&${e.label}`, P_UNARY];
      case NodeKind.Builtin: {
        const args = [...e.args.map((a) => this.expr(a, P_ASSIGN)), ...e.typeArgs.map((t) => this.typeName(t))];
        if (e.name === "__builtin_offsetof") args.push(e.designator ?? "");
        if (e.name === "__builtin_va_arg") return [`${e.name}(${this.expr(e.args[0]!, P_ASSIGN)}, ${this.typeName(e.typeArgs[0]!)})`, P_POSTFIX];
        return [`${e.name}(${args.join(", ")})`, P_POSTFIX];
      }
      case NodeKind.InitList:
        return [this.initList(e), P_PRIMARY];
    }
  }

  private initializer(e: Expr): string {
    return e.kind === NodeKind.InitList ? this.initList(e) : this.expr(e, P_ASSIGN);
  }

  private initList(list: InitList): string {
    if (list.items.length === 0) return "{}";
    const items = list.items.map((it) => {
      const d = it.designators.map((x) => this.designator(x)).join("");
      return `${d}${d ? " = " : ""}${this.initializer(it.value)}`;
    });
    return `{ ${items.join(", ")} }`;
  }

  private designator(d: Designator): string {
    if (d.kind === "field") return `.${d.name}`;
    return `[${this.expr(d.index, P_COND)}${d.end ? ` ... ${this.expr(d.end, P_COND)}` : ""}]`;
  }
}

/** Tags defined by the declarations of a function body (each printed with its own pragma). */
function localDefines(items: BlockItem[]): (RecordDef | EnumDef)[] {
  const out: (RecordDef | EnumDef)[] = [];
  const visit = (s: BlockItem | null): void => {
    if (!s) return;
    switch (s.kind) {
      case NodeKind.Declaration:
        out.push(...s.defines);
        break;
      case NodeKind.Compound:
        s.items.forEach(visit);
        break;
      case NodeKind.If:
        visit(s.then);
        visit(s.else);
        break;
      case NodeKind.For:
        if (s.init && s.init.kind === NodeKind.Declaration) out.push(...s.init.defines);
        visit(s.body);
        break;
      case NodeKind.While:
      case NodeKind.DoWhile:
      case NodeKind.Switch:
      case NodeKind.Case:
      case NodeKind.Default:
      case NodeKind.Label:
        visit(s.body);
        break;
      default:
        break;
    }
  };
  items.forEach(visit);
  return out;
}

/** The pragmas that laid out these tags' records, around the declaration that defines them. */
function withPragmas(defines: (RecordDef | EnumDef)[], text: string): string {
  const pack = packOf(defines);
  let out = pack ? `#pragma pack(push, ${pack})\n${text}#pragma pack(pop)\n` : text;
  if (defines.some((d) => "union" in d && d.msBitfields)) {
    out = `#pragma comment(option, "-mms-bitfields")\n${out}#pragma comment(option, "-mno-ms-bitfields")\n`;
  }
  return out;
}

/** The #pragma pack value to restore around a declaration defining these tags (0: none). */
function packOf(defines: (RecordDef | EnumDef)[]): number {
  return defines.find((d): d is RecordDef => "pragmaPack" in d && d.pragmaPack !== 0)?.pragmaPack ?? 0;
}

function isDerived(t: CType): boolean {
  return t.kind === TypeKind.Pointer || t.kind === TypeKind.Array || t.kind === TypeKind.Function;
}

/** The non-derived (or, unless `structural`, typedef-named) type a declarator is built around. */
function leafOf(t: CType, structural = false): CType {
  let cur = t;
  while ((cur.typedefName === undefined || structural) && isDerived(cur)) {
    cur = cur.kind === TypeKind.Pointer ? cur.to : cur.kind === TypeKind.Array ? cur.of : (cur as FunctionType).ret;
  }
  return cur;
}

function quals(q: number): string {
  const out: string[] = [];
  if (q & Q_CONST) out.push("const");
  if (q & Q_VOLATILE) out.push("volatile");
  if (q & Q_RESTRICT) out.push("restrict");
  if (q & Q_ATOMIC) out.push("_Atomic");
  return out.join(" ");
}

function storage(s: StorageClass): string {
  return s ?? "";
}

function conventionText(c: CallingConvention): string {
  return `__attribute__((${conventionAttribute(c)}))`;
}

function attributes(attrs: Attribute[], expr: (e: Expr) => string): string {
  if (attrs.length === 0) return "";
  const items = attrs.map((a) => (a.args.length ? `${a.name}(${a.args.map((x) => (typeof x === "string" ? x : expr(x))).join(", ")})` : a.name));
  return `__attribute__((${items.join(", ")}))`;
}

function intLiteral(v: bigint, t: CType): string {
  if (t.kind !== TypeKind.Int) return v < 0n ? `(${v})` : String(v);
  const suffix = (t.signed ? "" : "U") + (t.rank === "long" ? "L" : t.rank === "llong" ? "LL" : "");
  return v < 0n ? `(${v}${suffix})` : `${v}${suffix}`;
}

function floatLiteral(v: number, t: CType): string {
  const suffix = t.kind === TypeKind.Float && t.rank === "float" ? "F" : t.kind === TypeKind.Float && t.rank === "ldouble" ? "L" : "";
  if (Number.isNaN(v)) return "(0.0 / 0.0)";
  if (!Number.isFinite(v)) return v > 0 ? "(1.0 / 0.0)" : "(-1.0 / 0.0)";
  const s = String(v);
  return /[.e]/.test(s) ? s + suffix : s + ".0" + suffix;
}

function stringLit(e: StringLit): string {
  return encodeString(e.units, e.prefix);
}

/** A C string literal for `text` (each char code one unit). */
export function stringLiteral(text: string, prefix: string): string {
  return encodeString(Array.from(text, (c) => c.charCodeAt(0)), prefix);
}

function encodeString(units: number[], prefix: string): string {
  let out = `${prefix}"`;
  let afterHex = false;
  for (const u of units) {
    const c = String.fromCharCode(u);
    if (afterHex && /[0-9a-fA-F]/.test(c)) out += `" ${prefix}"`;
    afterHex = false;
    if (u === 34) out += '\\"';
    else if (u === 92) out += "\\\\";
    else if (u === 10) out += "\\n";
    else if (u === 9) out += "\\t";
    else if (u === 63) out += "\\?";
    else if (u >= 32 && u < 127) out += c;
    else if (u < 512) out += "\\" + u.toString(8).padStart(3, "0");
    else {
      out += "\\x" + u.toString(16);
      afterHex = true;
    }
  }
  return out + '"';
}

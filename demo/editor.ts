// CodeMirror 6 editors of the playground: C with binding-time colouring
// (static / dynamic spans from the specializer) and diagnostics at their
// line (the lint gutter), and read-only views for residual code.
import { defaultKeymap, history, historyKeymap } from "@codemirror/commands";
import { cpp } from "@codemirror/lang-cpp";
import { bracketMatching, defaultHighlightStyle, syntaxHighlighting } from "@codemirror/language";
import { type Diagnostic, lintGutter, setDiagnostics } from "@codemirror/lint";
import { EditorState, RangeSetBuilder, StateEffect, StateField } from "@codemirror/state";
import { Decoration, type DecorationSet, EditorView, keymap, lineNumbers } from "@codemirror/view";
import type { BtSpan } from "../src/specializer/btaview.ts";

const setSpans = StateEffect.define<BtSpan[]>();

const btField = StateField.define<DecorationSet>({
  create: () => Decoration.none,
  update(deco, tr) {
    for (const e of tr.effects) if (e.is(setSpans)) return decorationsFor(tr.state, e.value);
    return tr.docChanged ? Decoration.none : deco; // stale after an edit
  },
  provide: (f) => EditorView.decorations.from(f),
});

function decorationsFor(state: EditorState, spans: BtSpan[]): DecorationSet {
  const builder = new RangeSetBuilder<Decoration>();
  for (const s of [...spans].sort((a, b) => a.line - b.line || a.column - b.column)) {
    if (s.line < 1 || s.line > state.doc.lines) continue;
    const line = state.doc.line(s.line);
    const from = Math.min(line.from + s.column - 1, line.to);
    const to = Math.min(line.from + s.endColumn - 1, line.to);
    if (to > from) builder.add(from, to, Decoration.mark({ class: s.bt === "S" ? "bt-static" : "bt-dynamic", attributes: { title: s.bt === "S" ? "static: evaluated at specialization time" : "dynamic: kept in the residual code" } }));
  }
  return builder.finish();
}

export interface LineError {
  line: number;
  message: string;
}

export class CodeEditor {
  readonly view: EditorView;

  constructor(parent: HTMLElement, doc: string, options: { language?: "c" | "json"; readOnly?: boolean } = {}) {
    this.view = new EditorView({
      parent,
      state: EditorState.create({
        doc,
        extensions: [
          lineNumbers(),
          history(),
          bracketMatching(),
          syntaxHighlighting(defaultHighlightStyle),
          keymap.of([...defaultKeymap, ...historyKeymap]),
          lintGutter(),
          btField,
          ...(options.language === "c" ? [cpp()] : []),
          ...(options.readOnly ? [EditorState.readOnly.of(true), EditorView.editable.of(false)] : []),
        ],
      }),
    });
  }

  get text(): string {
    return this.view.state.doc.toString();
  }

  set text(value: string) {
    this.view.dispatch({ changes: { from: 0, to: this.view.state.doc.length, insert: value } });
  }

  /** Mark errors at their lines (1-based; clamped to the document). */
  showErrors(errors: LineError[]): void {
    const doc = this.view.state.doc;
    const diagnostics: Diagnostic[] = errors.map((e) => {
      const line = doc.line(Math.min(Math.max(e.line, 1), doc.lines));
      return { from: line.from, to: line.to, severity: "error", message: e.message };
    });
    this.view.dispatch(setDiagnostics(this.view.state, diagnostics));
  }

  showBindingTimes(spans: BtSpan[]): void {
    this.view.dispatch({ effects: setSpans.of(spans) });
  }
}

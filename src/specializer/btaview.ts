// The binding-time view: spans over the original source, static (S) or
// dynamic (D), and a standalone HTML page colouring the source like Tempo's
// listings. Binding times come from the offline analysis of the scenario
// (bta.ts), the same for every context: a statement or test is dynamic when
// any variant of its function has it dynamic. (What one specialization did,
// dynamic where it left residual code, has the same form: `observed`.)
import type { SourcePosition } from "../errors.ts";

export interface BtSpan {
  file: string;
  line: number;
  column: number;
  endLine: number;
  endColumn: number;
  bt: "S" | "D";
}

/**
 * One span per source line holding specialized code, covering the line's
 * code; a line is dynamic when any statement on it is.
 */
export function bindingTimeSpans(observed: Iterable<{ pos: SourcePosition; bt: "S" | "D" }>, sources: Map<string, string>): BtSpan[] {
  const byLine = new Map<string, BtSpan>();
  for (const { pos, bt } of observed) {
    const key = `${pos.file}:${pos.line}`;
    const text = sources.get(pos.file)?.split("\n")[pos.line - 1];
    const endColumn = text !== undefined ? text.trimEnd().length + 1 : pos.column + 1;
    // positions point into the statement (often at its operator): the span starts with the line's code
    const column = text !== undefined ? text.length - text.trimStart().length + 1 : pos.column;
    const cur = byLine.get(key);
    if (!cur) byLine.set(key, { file: pos.file, line: pos.line, column, endLine: pos.line, endColumn, bt });
    else if (bt === "D") cur.bt = "D";
  }
  return [...byLine.values()].sort((a, b) => a.file.localeCompare(b.file) || a.line - b.line);
}

function escapeHtml(s: string): string {
  return s.replace(/&/g, "&amp;").replace(/</g, "&lt;").replace(/>/g, "&gt;");
}

/** A standalone page: each source file with static code in blue, dynamic code in red, and a legend. */
export function bindingTimePage(title: string, spans: BtSpan[], sources: Map<string, string>): string {
  const sections: string[] = [];
  for (const [file, text] of sources) {
    const mine = new Map(spans.filter((s) => s.file === file).map((s) => [s.line, s]));
    const lines = text.split("\n").map((line, i) => {
      const span = mine.get(i + 1);
      const num = `<span class="n">${String(i + 1).padStart(4)}</span> `;
      if (!span) return num + escapeHtml(line);
      const start = span.column - 1;
      const end = span.endColumn - 1;
      return `${num}${escapeHtml(line.slice(0, start))}<span class="${span.bt}" title="${span.bt === "S" ? "static" : "dynamic"}">${escapeHtml(line.slice(start, end))}</span>${escapeHtml(line.slice(end))}`;
    });
    sections.push(`<h2>${escapeHtml(file)}</h2>\n<pre>${lines.join("\n")}</pre>`);
  }
  return `<!doctype html>
<html lang="en"><head><meta charset="utf-8"><title>${escapeHtml(title)}</title>
<style>
body { font-family: sans-serif; margin: 1.5em; }
pre { font-family: monospace; font-size: 13px; line-height: 1.35; }
.n { color: #999; }
.S { color: #1f4fbf; }
.D { color: #c0162b; font-weight: bold; }
.legend span { padding: 0 .6em; }
</style></head>
<body>
<h1>${escapeHtml(title)}</h1>
<p class="legend">Binding times: <span class="S">static — evaluated at specialization time</span> <span class="D">dynamic — kept in the residual code</span> (uncoloured: not reached)</p>
${sections.join("\n")}
</body></html>
`;
}

// Bar charts of the playground (generic vs customized), as inline SVG.
export interface Bar {
  label: string;
  /** null: no value (the text says why). */
  value: number | null;
  text: string;
  kind: "generic" | "customized";
}

export function barChart(title: string, unit: string, bars: Bar[]): string {
  const max = Math.max(1, ...bars.map((b) => b.value ?? 0));
  const rowH = 26;
  const width = 560;
  const labelW = 110;
  const rows = bars.map((b, i) => {
    const y = 8 + i * rowH;
    const w = b.value === null ? 0 : Math.max(2, ((width - labelW - 150) * b.value) / max);
    return `<text x="0" y="${y + 15}" class="lbl">${escape(b.label)}</text>
<rect x="${labelW}" y="${y}" width="${w.toFixed(1)}" height="18" class="bar ${b.kind}"></rect>
<text x="${labelW + w + 6}" y="${y + 14}" class="val">${escape(b.text)}</text>`;
  });
  return `<figure><figcaption>${escape(title)} <span class="unit">(${escape(unit)})</span></figcaption>
<svg viewBox="0 0 ${width} ${bars.length * rowH + 12}" width="${width}" role="img" aria-label="${escape(title)}">${rows.join("\n")}</svg></figure>`;
}

export function escape(s: string): string {
  return s.replace(/&/g, "&amp;").replace(/</g, "&lt;").replace(/>/g, "&gt;").replace(/"/g, "&quot;");
}

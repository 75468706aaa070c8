/** The report's calibration section: ECE before/after temperature scaling and a reliability diagram. */
import type { CalibrationRecord, EvalReport, EvalSource, ReliabilityBin } from '@headstart/core';

const pct = (v: number): string => `${(v * 100).toFixed(1)} %`;

/** Reliability diagram (accuracy per confidence bin vs the diagonal) of two sets of bins, as inline SVG. */
export function reliabilitySvg(before: ReliabilityBin[], after: ReliabilityBin[]): string {
  const size = 260;
  const pad = 30;
  const x = (v: number): number => pad + v * (size - 2 * pad);
  const y = (v: number): number => size - pad - v * (size - 2 * pad);
  const bars = (bins: ReliabilityBin[], color: string, shift: number): string =>
    bins
      .filter((b) => b.count > 0)
      .map((b) => {
        const w = (x(b.hi) - x(b.lo)) / 2 - 1;
        return `<rect x="${(x(b.lo) + shift * (w + 1)).toFixed(1)}" y="${y(b.accuracy).toFixed(1)}" width="${w.toFixed(1)}" height="${(y(0) - y(b.accuracy)).toFixed(1)}" fill="${color}"><title>${pct(b.lo)}–${pct(b.hi)}: ${b.count} images, accuracy ${pct(b.accuracy)}, mean confidence ${pct(b.confidence)}</title></rect>`;
      })
      .join('');
  return `<svg xmlns="http://www.w3.org/2000/svg" width="${size}" height="${size}" role="img" aria-label="reliability diagram">
<line x1="${x(0)}" y1="${y(0)}" x2="${x(1)}" y2="${y(1)}" stroke="#999" stroke-dasharray="4 3"/>${bars(before, '#ff7f0e', 0)}${bars(after, '#1f77b4', 1)}
<line x1="${x(0)}" y1="${y(0)}" x2="${x(1)}" y2="${y(0)}" stroke="#333"/><line x1="${x(0)}" y1="${y(0)}" x2="${x(0)}" y2="${y(1)}" stroke="#333"/>
<text x="${x(0.5)}" y="${size - 6}" font-size="11" text-anchor="middle">confidence (top-1 probability)</text><text x="10" y="${y(0.5)}" font-size="11" transform="rotate(-90 10 ${y(0.5)})" text-anchor="middle">accuracy</text>
<text x="${x(0.02)}" y="${y(0.97)}" font-size="11" fill="#ff7f0e">before</text><text x="${x(0.02)}" y="${y(0.9)}" font-size="11" fill="#1f77b4">after</text></svg>`;
}

/** The ECE of one evaluation, told with what it was measured on. */
function evaluatedEce(ece: EvalReport['ece'], split: EvalSource['split'] | undefined): string {
  if (ece?.uncalibrated === undefined) return '';
  const where = split === 'all' ? 'these evaluated images (used for nothing in training or calibration)' : `the evaluated ${split ?? ''} images (part of the images the temperature was fitted on)`;
  return ` On ${where}: ECE ${pct(ece.uncalibrated)} without the temperature, <b>${pct(ece.calibrated)}</b> with it.`;
}

/** The calibration section of report.html (empty string when the run was not calibrated). */
export function calibrationSection(c: CalibrationRecord | undefined, ece?: EvalReport['ece'], split?: EvalSource['split']): string {
  if (!c) return '';
  const held = { val: 'validation', test: 'test', 'val+test': 'validation and test' }[c.heldOut];
  return `<h2>Calibration</h2><p>Temperature scaling fitted on the ${c.count} ${held} images (never the images the head trained on; a temperature never changes the top-1 label, so accuracy is unaffected): T = ${c.temperature.toFixed(3)}, folded into the model, so every surface returns calibrated probabilities. Expected calibration error ${pct(c.eceBefore)} before, <b>${pct(c.eceAfter)}</b> after (each half scaled by a temperature fitted on the other half).${evaluatedEce(ece, split)}</p>${reliabilitySvg(c.binsBefore, c.binsAfter)}`;
}

import { stripVTControlCharacters as plain } from 'node:util';
import { describe, expect, it } from 'vitest';
import { render } from 'ink-testing-library';
import { Dashboard } from '../src/dashboard/view.tsx';
import { initialState, reduce } from '../src/dashboard/state.ts';
import { scriptedRun } from './scripted-events.ts';

const upTo = (pred: (e: ReturnType<typeof scriptedRun>[number]) => boolean) => {
  const events = scriptedRun();
  return events.slice(0, events.findIndex(pred) + 1).reduce(reduce, initialState());
};

describe('<Dashboard>', () => {
  it('shows phase, epoch progress bar and metrics mid-epoch', () => {
    const s = upTo((e) => e.type === 'batch' && e.phase === 'phase2' && e.epoch === 1 && e.batch === 2);
    const { lastFrame, unmount } = render(<Dashboard state={s} width={120} interactive />);
    const frame = plain(lastFrame() ?? ''); // colours are on when FORCE_COLOR is set (nx does)
    expect(frame).toContain('backend wasm  base mobilenet_v2 96×96');
    expect(frame).toContain('✓ phase 1 (head, base frozen) 3/3 epochs');
    expect(frame).toContain('▶ phase 2 (fine-tune)');
    expect(frame).toMatch(/p2 epoch 1\/2 █+░+ 2\/4 {2}250 img\/s {2}ETA 0:01/);
    expect(frame).toContain('batch loss 0.4200  acc 0.8500  lr 1e-5');
    // finished epochs are in the static log, best marked
    expect(frame).toContain('p1 epoch 2/3  loss 0.7000  acc 0.7000  val_loss 0.7500  val_acc 0.7000  lr 1e-3  2.0s  * best');
    // sparklines and best epoch
    expect(frame).toMatch(/val_acc {2}[▁-█]{3} +0\.6800/);
    expect(frame).toContain('best: p1 epoch 2  val_acc 70.0%');
    expect(frame).toContain('lr changes: p1#3 1e-3→5e-4');
    expect(frame).toContain('q / Ctrl-C');
    unmount();
  });

  it('ends with the per-class table, confused pairs and paths', () => {
    const s = scriptedRun().reduce(reduce, initialState());
    const { lastFrame, unmount } = render(<Dashboard state={s} width={100} />);
    const frame = plain(lastFrame() ?? ''); // colours are on when FORCE_COLOR is set (nx does)
    expect(frame).toContain('evaluation: accuracy 80.0%  top2 95.0%');
    expect(frame).toMatch(/class\s+precision\s+recall\s+f1\s+support/);
    expect(frame).toMatch(/dog\s+0\.750\s+0\.800\s+0\.774\s+10/);
    expect(frame).toContain('dog → fox  2');
    expect(frame).toContain('run directory  runs/t');
    expect(frame).toContain('report         runs/t/report.json');
    expect(frame).toContain('early stopped p2 at epoch 2 (best 1)');
    expect(frame).not.toContain('q / Ctrl-C');
    unmount();
  });

  it('fits 80 columns (compact epoch lines) and shows the whole run\'s ETA', () => {
    const mid1 = upTo((e) => e.type === 'batch' && e.phase === 'phase1' && e.epoch === 2 && e.batch === 2);
    const a = render(<Dashboard state={mid1} width={80} interactive />);
    const lines = plain(a.lastFrame() ?? '').split('\n');
    expect(Math.max(...lines.map((l) => l.length))).toBeLessThanOrEqual(80);
    // p1: 1 s left in epoch 2 + 1 epoch × 2 s; p2 not started: 2 epochs estimated at p1's 2 s each.
    expect(lines.join('\n')).toContain('run ETA ~0:07');
    expect(lines.join('\n')).toContain('p1 1/3 loss 1.000 acc 0.500 vloss 0.900 vacc 0.550 lr 1e-3 2.0s *');
    a.unmount();
    const mid2 = upTo((e) => e.type === 'batch' && e.phase === 'phase2' && e.epoch === 1 && e.batch === 2);
    const b = render(<Dashboard state={mid2} width={80} interactive />);
    const frame = plain(b.lastFrame() ?? '');
    expect(Math.max(...frame.split('\n').map((l) => l.length))).toBeLessThanOrEqual(80);
    expect(frame).toContain('run ETA ≤0:03');
    b.unmount();
  });

  it('narrows the progress bar on a narrow terminal', () => {
    const s = upTo((e) => e.type === 'batch' && e.batch === 2);
    const wide = render(<Dashboard state={s} width={140} />);
    const narrow = render(<Dashboard state={s} width={60} />);
    const barLen = (f: string | undefined) => Math.max(...plain(f ?? '').split('\n').filter((l) => l.includes('img/s')).map((l) => (l.match(/[█░]/g) ?? []).length));
    expect(barLen(wide.lastFrame())).toBe(40);
    expect(barLen(narrow.lastFrame())).toBe(10);
    wide.unmount();
    narrow.unmount();
  });
});

/**
 * End to end in a real pseudo-terminal (tmux): `headstart train` on a tiny generated dataset
 * shows the dashboard (progress bar, epoch metrics), `q` stops it with a checkpoint, and
 * `--resume` finishes with the per-class table.
 */
import { execFile } from 'node:child_process';
import { existsSync, readFileSync } from 'node:fs';
import { promisify } from 'node:util';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { Tmux } from './tmux.ts';
import { writeTinyDataset } from './tiny-dataset.ts';

const BIN = fileURLToPath(new URL('../bin/headstart.js', import.meta.url));
// Ink renders only the final frame when it believes it runs in CI; a real terminal is what we test.
const ENV = 'env -u CI -u CONTINUOUS_INTEGRATION -u BUILD_NUMBER -u RUN_ID';

describe('headstart train in a terminal', () => {
  const tmux = new Tmux();
  let dir = '';

  beforeAll(async () => {
    dir = await mkdtemp(join(tmpdir(), 'headstart-tty-'));
    await writeTinyDataset(join(dir, 'data'), 10, 32);
  });
  afterAll(async () => {
    tmux.close();
    await rm(dir, { recursive: true, force: true });
  });

  it('shows the dashboard, stops on q with a checkpoint, and --resume finishes', async () => {
    const data = join(dir, 'data');
    const run = join(dir, 'run');
    const args = `train ${data} --out ${run} --input-size 32 --epochs 4 --lr 0.01 --fine-tune-epochs 12 --batch-size 8 --patience 50 --seed 1`;
    tmux.start('first', `${ENV} node ${BIN} ${args} 2>${join(dir, 'err1.txt')}`);

    // Live dashboard: header, a progress bar inside a phase-2 epoch, finished epochs with metrics.
    await tmux.waitFor('first', /p2 epoch +1\/12  loss \d\.\d{4}  acc \d\.\d{4}  val_loss \d\.\d{4}  val_acc \d\.\d{4}/, 120_000);
    const live = await tmux.waitFor('first', /p2 epoch (?:[2-9]|1[0-2])\/12 [█░]{10,} [0-3]\/3 +\d+ img\/s +ETA \d+:\d\d/, 60_000);
    expect(live[0]).toBeTruthy();
    let screen = tmux.screen('first');
    expect(screen).toContain('backend ');
    expect(screen).toContain('base mobilenet_v2 32×32');
    expect(screen).toContain('dataset 3 classes (blue, green, red)');
    expect(screen).toMatch(/p1 epoch 4\/4 {2}loss/);
    expect(screen).toMatch(/val_acc +[▁▂▃▄▅▆▇█ ]+ \d\.\d{4}/);
    expect(screen).toContain('q / Ctrl-C');

    // Window resize: at 120 columns the bar is 40 cells wide; at 90 it narrows to 20.
    expect(live[0]).toMatch(/ [█░]{40} /);
    tmux.resize('first', 90, 40);
    await tmux.waitFor('first', /p2 epoch \d+\/12 [█░]{20} [0-3]\/3 /, 60_000, true);

    tmux.keys('first', 'q');
    const stopped = await tmux.waitFor('first', /stopped after p2 epoch \d+; last checkpoint in (\S+)/, 60_000);
    await tmux.waitFor('first', /\[exit 130\]/, 10_000);
    screen = tmux.screen('first');
    expect(screen).toContain(`resume with: npx headstart ${args} --resume`);
    expect(screen).not.toContain('evaluation: accuracy');
    const checkpoint = stopped[1] ?? '';
    expect(existsSync(checkpoint)).toBe(true);
    const manifest = JSON.parse(readFileSync(join(run, 'headstart.json'), 'utf8')) as { status: string; progress?: { phase: string } };
    expect(manifest.status).toBe('interrupted');
    expect(manifest.progress?.phase).toBe('phase2');

    tmux.start('resume', `${ENV} node ${BIN} ${args} --resume 2>${join(dir, 'err2.txt')}`);
    await tmux.waitFor('resume', /\[exit (\d+)\]/, 150_000);
    screen = tmux.screen('resume');
    expect(screen).toContain('[exit 0]');
    expect(screen).toContain('resuming ');
    expect(screen).toMatch(/p2 epoch 12\/12  loss/);
    expect(screen).not.toMatch(/p1 epoch \d\/4  loss/); // phase 1 is not redone
    expect(screen).toMatch(/evaluation: accuracy \d+\.\d%/);
    expect(screen).toMatch(/class\s+precision\s+recall\s+f1\s+support/);
    expect(screen).toMatch(/blue\s+\d\.\d{3}\s+\d\.\d{3}\s+\d\.\d{3}\s+\d+/);
    expect(screen).toContain(`run directory  ${run}`);
    const done = JSON.parse(readFileSync(join(run, 'headstart.json'), 'utf8')) as { status: string };
    expect(done.status).toBe('complete');
    expect(existsSync(join(run, 'report.json'))).toBe(true);
  }, 300_000);

  it('--json over a pipe: every line parses, the last is done with metrics and the run dir', async () => {
    const run = join(dir, 'json-run');
    const { stdout } = await promisify(execFile)(
      process.execPath,
      [BIN, 'train', join(dir, 'data'), '--out', run, '--input-size', '32', '--epochs', '2', '--fine-tune-epochs', '1', '--json'],
      { maxBuffer: 16 * 1024 * 1024 },
    );
    const events = stdout.trimEnd().split('\n').map((l) => JSON.parse(l) as { type: string; [k: string]: unknown });
    const types = new Set(events.map((e) => e.type));
    for (const t of ['start', 'phase-start', 'epoch-end', 'phase-end', 'eval']) expect(types).toContain(t);
    const done = events.at(-1);
    expect(done?.type).toBe('done');
    expect(done?.runDir).toBe(run);
    expect(typeof (done?.metrics as Record<string, number>)['val_acc']).toBe('number');
    expect(existsSync(join(run, 'report.json'))).toBe(true);
  }, 120_000);
});

/** `headstart advise <data>`: the four-case strategy advisor (dataset size × similarity to the base's domain). */
import type { Advice, ScheduleInput } from '../ports.ts';
import { trainModelSettings } from '../config.ts';
import { downloadRenderer } from './models.ts';
import { shellLine } from '../run-training.ts';
import { intArg } from '../options/specs.ts';
import { EXIT } from '../io.ts';
import type { RegisterCommand } from './index.ts';

const CASES: Record<number, string> = {
  1: 'small dataset, similar to the base\'s domain: train the head on frozen features',
  2: 'large dataset, similar domain: fine-tune the top of the base',
  3: 'small dataset, different domain: train a head at the cut the probes favour (often earlier), no fine-tuning',
  4: 'large dataset, different domain: fine-tune most or all of the base',
};

type PhaseAdvice = NonNullable<ScheduleInput['phase1']>;

function patienceOf(p: PhaseAdvice | undefined): number | undefined {
  const es = p?.earlyStopping;
  return es && typeof es === 'object' ? es.patience : undefined;
}

/** `--augment` items for an advised augmentation (every field the flag syntax can say). */
function augmentItems(s: ScheduleInput): string[] {
  const a = s.augment;
  if (!a) return s.augmentedPasses ? [`passes=${s.augmentedPasses}`] : [];
  return [
    a.horizontalFlip ? 'flip' : '',
    a.verticalFlip ? 'vflip' : '',
    a.rotation ? `rotate=${a.rotation}` : '',
    a.zoom ? `zoom=${a.zoom}` : '',
    a.shear ? `shear=${a.shear}` : '',
    a.widthShift ? `wshift=${a.widthShift}` : '',
    a.heightShift ? `hshift=${a.heightShift}` : '',
    a.brightness ? `brightness=${a.brightness[0]}-${a.brightness[1]}` : '',
    a.randomResizedCrop ? `crop=${a.randomResizedCrop.scale?.[0] ?? 0.08}` : '',
    a.fillMode && a.fillMode !== 'nearest' ? `fill=${a.fillMode}` : '',
    s.augmentedPasses ? `passes=${s.augmentedPasses}` : '',
  ].filter(Boolean);
}

/**
 * `headstart train` flags that apply an advised configuration: every decided field with a
 * flag (base and input size when chosen, cut, head, schedule, patience, batch size,
 * augmentation, class weights, splits, seed), so the printed command trains what was advised.
 */
export function adviceFlags(advice: Advice, chosen: { base?: string; inputSize?: number } = {}): string[] {
  const s: ScheduleInput = advice.schedule;
  const f: string[] = [];
  if (chosen.base) f.push('--base', advice.base);
  if (chosen.inputSize) f.push('--input-size', String(chosen.inputSize));
  if (s.mode === 'scratch') f.push('--mode', 'scratch');
  if (advice.cutLayer) f.push('--cut', advice.cutLayer);
  const h = advice.head;
  // The advisor's heads are plain (no hidden blocks): the pooling, or logistic with its pooling.
  if (h.kind === 'logistic') f.push('--head', `logistic:${h.pooling}`);
  else if (h.pooling !== 'avg') f.push('--head', h.pooling);
  if (h.standardize) f.push('--standardize');
  if (s.phase1?.epochs !== undefined) f.push('--epochs', String(s.phase1.epochs));
  const fixed = s.phase1?.earlyStopping === false;
  if (fixed) f.push('--fixed-epochs');
  if (s.phase1?.learningRate !== undefined) f.push('--lr', String(s.phase1.learningRate));
  const batch = s.phase1?.batchSize ?? s.phase2?.batchSize;
  if (batch !== undefined) f.push('--batch-size', String(batch));
  const patience = patienceOf(s.phase1) ?? patienceOf(s.phase2);
  if (!fixed && patience !== undefined) f.push('--patience', String(patience));
  if (s.phase2?.epochs !== undefined) f.push('--fine-tune-epochs', String(s.phase2.epochs));
  if (s.phase2?.learningRate !== undefined) f.push('--fine-tune-lr', String(s.phase2.learningRate));
  const u = s.phase2?.unfreeze;
  if (u) f.push('--unfreeze', u.kind === 'top' ? `top:${u.n}` : u.kind === 'from' ? `from:${u.layer}` : u.kind);
  const aug = augmentItems(s);
  if (aug.length > 0) f.push('--augment', aug.join(','));
  if (s.classWeights === 'auto' || s.classWeights === 'none') f.push('--class-weights', s.classWeights);
  if (s.valSplit !== undefined) f.push('--val-split', String(s.valSplit));
  if (s.testSplit !== undefined) f.push('--test-split', String(s.testSplit));
  if (s.seed !== undefined) f.push('--seed', String(s.seed));
  return f;
}

/** Human-readable lines of an advice. */
export function adviceLines(data: string, advice: Advice, chosen: { base?: string; inputSize?: number } = {}): string[] {
  return [
    `case ${advice.case}: ${CASES[advice.case] ?? ''}`,
    `cut: ${advice.cutLayer ?? 'the base\'s default'}${advice.probes.length > 0 ? ` (measured accuracy, squared error: ${advice.probes.map((p) => `${p.cut}/${p.pooling} ${(p.accuracy * 100).toFixed(1)}% ${p.sqError.toFixed(3)}`).join(', ')})` : ''}`,
    `head: ${advice.head.pooling} pooling${advice.head.standardize ? ', standardised features' : ''}`,
    'why:',
    ...advice.reasons.map((r) => `  - ${r}`),
    'schedule:',
    ...JSON.stringify(advice.schedule, null, 2)
      .split('\n')
      .map((l) => `  ${l}`),
    'train with:',
    // The scratch CNN won the measurement: train it (its own defaults), not the transfer recipe.
    `  ${shellLine(['npx', 'headstart', 'train', data, '--out', 'runs/advised', ...(advice.scratchProbe?.wins ? ['--mode', 'scratch'] : adviceFlags(advice, chosen))])}`,
  ];
}

export const registerAdvise: RegisterCommand = (program, io, setExit, ports) => {
  program
    .command('advise')
    .description('measure dataset size and similarity to the base (quick linear probe) and recommend a schedule and cut, with reasons')
    .argument('<data>', 'dataset directory')
    .option('--base <id>', 'base model to advise for (default mobilenet_v2)')
    .option('--input-size <px>', 'input size for the probe', intArg('--input-size', 8))
    .option('--cuts <layers>', 'comma-separated layers to probe as cuts, preferred first (default: the catalogue\'s candidates)')
    .option('--json', 'print the advice as one JSON object')
    .action(async (data: string, flags: { base?: string; inputSize?: number; cuts?: string; json?: boolean }) => {
      const trainer = await ports.loadTrainer();
      const advice = await trainer.adviseForDataset(data, {
        ...(flags.base ? { base: flags.base } : {}),
        ...(flags.inputSize ? { inputSize: flags.inputSize } : {}),
        ...(flags.cuts ? { cuts: flags.cuts.split(',').map((c) => c.trim()).filter(Boolean) } : {}),
        ...trainModelSettings(),
        onEvent: downloadRenderer(io),
      });
      io.stdout.write(flags.json ? `${JSON.stringify(advice)}\n` : `${adviceLines(data, advice, flags).join('\n')}\n`);
      setExit(EXIT.ok);
    });
};

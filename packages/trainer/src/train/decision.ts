/** The decision block of a measured run: what was decided, the scores behind it, the flags that change it. */
import type { Decision, HeadSpec, ScheduleSpec } from '@headstart/core';
import { scratchReason, type Advice } from '../advise.ts';
import { pickExplanation, pickProbe, type ProbeResult } from '../probe/pick.ts';
import type { LoadedBase } from '../bases/load-base.ts';
import type { PreparedData } from '../data/prepare.ts';
import { pct } from '../format.ts';
import type { TrainOptions } from './train.ts';

/** The flags (CLI spelling) the caller set that take over a measured decision. */
export function overriddenFlags(opts: TrainOptions): string[] {
  const s = opts.schedule ?? {};
  const flags: [boolean, string][] = [
    [opts.base !== undefined, '--base'],
    [opts.inputSize !== undefined, '--input-size'],
    [opts.cut !== undefined, '--cut'],
    [opts.head?.pooling !== undefined || opts.head?.kind === 'logistic', '--head'],
    [opts.head?.standardize !== undefined, '--standardize'],
    [s.augment !== undefined, '--augment'],
    [s.phase1?.epochs !== undefined, '--epochs'],
    [s.phase1?.learningRate !== undefined, '--lr'],
    [s.phase1?.earlyStopping !== undefined, s.phase1?.earlyStopping === false ? '--fixed-epochs' : '--patience'],
    [s.phase2?.epochs !== undefined, '--fine-tune-epochs'],
    [s.phase2?.unfreeze !== undefined, '--unfreeze'],
    [s.phase2?.learningRate !== undefined, '--fine-tune-lr'],
    [s.testSplit !== undefined, '--test-split'],
  ];
  return flags.filter(([on]) => on).map(([, f]) => f);
}

/** Inputs of `decisionFor`. */
export interface DecisionInput {
  advice: Advice;
  base: LoadedBase;
  head: HeadSpec;
  schedule: ScheduleSpec;
  opts: TrainOptions;
  data: PreparedData;
  /** True when the plan held out a test split itself. */
  holdout: boolean;
  /** Why phase 2 is off whatever the data (e.g. a frozen ONNX base), instead of the advisor's case. */
  phase2Off?: string;
}

/** Which split the headline accuracy comes from, and why it is honest (or not). */
function headlineFor(testN: number, valN: number, holdout: boolean, selectsOnVal: boolean): NonNullable<Decision['headline']> {
  return testN > 0
    ? { metric: 'test_acc', split: 'test', note: `test accuracy on ${testN} images ${holdout ? 'held out by train (the data has no test split; validation picks epochs)' : 'of the data\'s test split'}, never trained on or used to choose` }
    : { metric: 'val_acc', split: 'val', note: selectsOnVal ? `validation accuracy on ${valN} images, which also chose the epoch: optimistic` : `validation accuracy on ${valN} held-out images, used for no choice (fixed epochs, probes on training images only)` };
}

/** The decision line and score of the transfer-vs-scratch measurement. */
function scratchLine(advice: Advice): { line: string; scores: Decision['scores'] } {
  const p = advice.scratchProbe;
  if (!p) return { line: scratchReason(undefined), scores: [] };
  const on = `held-out third of the probe sample (${p.heldOut} images; trained on ${p.trainImages})`;
  return {
    line: `${p.wins ? 'scratch' : 'transfer'}: scratch CNN ${pct(p.scratch)} vs transfer probe ${pct(p.transfer)} on the same ${p.heldOut} held-out images (${p.scratchOnly} right only by scratch, ${p.transferOnly} only by transfer; scratch is chosen only when significantly better; measured in ${p.seconds.toFixed(1)} s)`,
    scores: [
      { name: `scratch ${p.size} px, ${p.epochs} epochs`, accuracy: p.scratch, on },
      { name: 'transfer probe (chosen cut and pooling)', accuracy: p.transfer, on },
    ],
  };
}

/** Inputs of `scratchDecisionFor`. */
export interface ScratchDecisionInput {
  advice: Advice;
  schedule: ScheduleSpec;
  opts: TrainOptions;
  holdout: boolean;
}

/** The decision record of a measured plan that chose the scratch CNN (the test count is known only after the split, so the headline note speaks of fractions). */
export function scratchDecisionFor(d: ScratchDecisionInput): Decision {
  const { advice, schedule } = d;
  const s = scratchLine(advice);
  const overridden = overriddenFlags(d.opts);
  const test = schedule.testSplit > 0;
  const headline: NonNullable<Decision['headline']> = test
    ? { metric: 'test_acc', split: 'test', note: `test accuracy on ${schedule.testSplit * 100}% of the images ${d.holdout ? 'held out by train (the data has no test split; validation picks epochs)' : 'held out (--test-split)'}, never trained on or used to choose` }
    : { metric: 'val_acc', split: 'val', note: 'validation accuracy, which also chose the epoch (the scratch CNN stops early on it): optimistic' };
  return {
    recipe: 'measured',
    lines: [
      `train from scratch: the small CNN at ${advice.scratchProbe?.size ?? '-'} px, no pretrained base (${advice.base}'s features lost the measurement)`,
      s.line,
      `scratch: up to ${schedule.phase1.epochs} epochs at ${schedule.phase1.learningRate}${schedule.phase1.earlyStopping === false ? ', fixed' : `, early stopping (patience ${schedule.phase1.earlyStopping?.patience ?? '-'})`}`,
      `headline: ${headline.note}`,
      'override with --mode transfer (or any transfer flag: --base, --cut, --head, --input-size) for transfer; --recipe keras for the fixed recipe',
    ],
    scores: [...s.scores, ...advice.probes.map((p) => ({ name: `${p.cut}/${p.pooling}`, accuracy: p.accuracy, on: `ridge probe, ${advice.probeFolds}-fold CV ×3 on ${advice.probeImages} training images` }))],
    overridden,
    flags: ['--mode transfer', '--base', '--recipe keras'],
    headline,
  };
}

/** The chosen probe's numbers; when the measurement chose it, the rule and its rivals' numbers too. */
export function cutScores(probes: readonly ProbeResult[], chosen: ProbeResult): string {
  const own = `probe ${pct(chosen.accuracy)}, squared error ${chosen.sqError.toFixed(3)}`;
  return probes.length < 2 || pickProbe(probes) !== chosen ? own : `${own}: ${pickExplanation(probes, chosen)}`;
}

/** Builds the decision record (and its printed lines) of a measured plan. */
export function decisionFor(d: DecisionInput): Decision {
  const { advice, base, head, schedule, data } = d;
  const overridden = overriddenFlags(d.opts);
  const by = (flag: string): string => (overridden.includes(flag) ? ` [${flag} given]` : '');
  const chosen = advice.probes.find((p) => p.cut === base.cut && p.pooling === head.pooling);
  const ref = advice.probes.find((p) => p.cut === advice.probes[0]?.cut && p.pooling === 'avg');
  const p1 = schedule.phase1;
  const p2on = schedule.phase2.epochs > 0 && schedule.phase2.unfreeze.kind !== 'none';
  const u = schedule.phase2.unfreeze;
  const unfreeze = u.kind === 'top' ? `top ${u.n} layers` : u.kind === 'from' ? `from ${u.layer}` : u.kind;
  const headline = headlineFor(data.test.labels.length, data.val.labels.length, d.holdout, p1.earlyStopping !== false || p2on);
  const lines = [
    `transfer from ${base.id} at ${base.inputSize[0]} px, case ${advice.case} (${advice.size}, ${advice.similar ? 'similar' : 'different'}: probe ${pct(advice.probeAccuracy)} at ${ref?.cut ?? base.cut})${by('--base')}${by('--input-size')}`,
    `cut ${base.cut}, ${head.pooling} pooling${head.standardize ? ', standardised features' : ''}${chosen ? `: ${cutScores(advice.probes, chosen)}` : ''}${by('--cut')}${by('--head')}${by('--standardize')}`,
    schedule.augment
      ? `augmentation on${advice.augmentProbe ? ` (probe ${pct(advice.augmentProbe.with)} with vs ${pct(advice.augmentProbe.without)} without)` : ''}${by('--augment')}`
      : `augmentation off${advice.augmentProbe ? ` (probe ${pct(advice.augmentProbe.with)} with vs ${pct(advice.augmentProbe.without)} without)` : ''}${by('--augment')}`,
    `head: ${p1.epochs} epochs at ${p1.learningRate}${p1.earlyStopping === false ? ', fixed (validation too small to stop on)' : `, early stopping (patience ${p1.earlyStopping?.patience ?? '-'})`}${by('--epochs')}${by('--fixed-epochs')}${by('--patience')}`,
    p2on ? `phase 2: fine-tune ${unfreeze} at ${schedule.phase2.learningRate} for up to ${schedule.phase2.epochs} epochs, kept only if validation accuracy improves on phase 1${by('--fine-tune-epochs')}${by('--unfreeze')}` : d.phase2Off ? `phase 2: off (${d.phase2Off})` : `phase 2: off (case ${advice.case}: too few images to fine-tune without overfitting)${by('--fine-tune-epochs')}`,
    ...(advice.scratchProbe ? [scratchLine(advice).line] : []),
    `headline: ${headline.note}`,
    `override any of these with its flag (--cut, --head, --standardize, --augment, --epochs, --fixed-epochs, --fine-tune-epochs, --unfreeze, --test-split, --mode scratch); --recipe keras for the fixed recipe`,
  ];
  return {
    recipe: 'measured',
    lines,
    scores: [...scratchLine(advice).scores, ...advice.probes.map((p) => ({ name: `${p.cut}/${p.pooling}`, accuracy: p.accuracy, on: `ridge probe, ${advice.probeFolds}-fold CV ×3 on ${advice.probeImages} training images` }))],
    overridden,
    flags: ['--recipe keras', '--mode scratch', '--cut', '--head', '--standardize', '--augment', '--epochs', '--fixed-epochs', '--fine-tune-epochs', '--unfreeze', '--test-split'],
    headline,
  };
}

/**
 * Typed progress events emitted by the trainer (and the dataset check). The CLI's Ink view,
 * plain-line logger and `--json` reporter all consume this one stream; the trainer never prints.
 */
export type PhaseName = 'phase1' | 'phase2' | 'scratch';

export interface EpochMetrics {
  loss: number;
  acc: number;
  val_loss?: number;
  val_acc?: number;
}

export type TrainerEvent =
  | {
      type: 'start';
      runDir: string;
      backend: string;
      base: string;
      inputSize: [number, number];
      labels: string[];
      trainCount: number;
      valCount: number;
      testCount: number;
      resumed: boolean;
      /** The phases the run will train, with their planned (maximum) epochs: for a whole-run ETA. */
      plan?: Array<{ phase: PhaseName; epochs: number }>;
    }
  | { type: 'warning'; code: string; message: string; path?: string }
  | { type: 'download'; url: string; file: string; stage: 'begin' | 'progress' | 'end'; received: number; total?: number }
  /** What `train` decided (measured or fixed recipe), as short lines; emitted before phase 1 and after phase 2's keep-or-drop. */
  | { type: 'decision'; lines: string[] }
  /** Building a phase's feature cache; `queue`: computed by queue workers (`train --queue`). */
  | { type: 'cache'; phase: PhaseName; stage: 'begin' | 'progress' | 'end'; done: number; total: number; seconds?: number; queue?: true }
  | { type: 'phase-start'; phase: PhaseName; epochs: number; learningRate: number; trainableLayers: number; frozenLayers: number }
  | { type: 'epoch-start'; phase: PhaseName; epoch: number; epochs: number; batches: number }
  | { type: 'batch'; phase: PhaseName; epoch: number; batch: number; batches: number; loss: number; acc: number; imagesPerSec: number; etaSec: number }
  | ({ type: 'epoch-end'; phase: PhaseName; epoch: number; epochs: number; learningRate: number; seconds: number; best: boolean } & EpochMetrics)
  | { type: 'lr-change'; phase: PhaseName; epoch: number; from: number; to: number; reason: string }
  | { type: 'early-stop'; phase: PhaseName; epoch: number; bestEpoch: number; reason: string }
  | { type: 'checkpoint'; phase: PhaseName; epoch: number; path: string }
  | { type: 'phase-end'; phase: PhaseName; epochsRun: number; bestEpoch: number; seconds: number }
  | { type: 'interrupted'; phase: PhaseName; epoch: number; checkpoint: string; resumeCommand: string }
  | { type: 'eval'; accuracy: number; topK: Record<string, number>; perClass: Array<{ label: string; precision: number; recall: number; f1: number; support: number }>; confusedPairs: Array<{ actual: string; predicted: string; count: number }> }
  | { type: 'export'; path: string }
  | { type: 'done'; runDir: string; metrics: Record<string, number>; seconds: number; reportPath: string; onnxPath?: string };

/** A sink for events: libraries take one of these instead of printing. */
export type EventSink = (event: TrainerEvent) => void;

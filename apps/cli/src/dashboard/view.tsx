/** The Ink training dashboard: pure props-to-view over DashboardState. */
import { Box, Static, Text } from 'ink';
import type { ReactElement } from 'react';
import { bar, downloadBar, duration, epochLine, lr, num, pct, phaseTag, sparkline } from './format.ts';
import { runEtaText } from './eta.ts';
import { startLines, summaryLines } from './plain.ts';
import { phaseLabel, type DashboardState, type LogEntry } from './state.ts';

export interface DashboardProps {
  state: DashboardState;
  /** Terminal width in columns. */
  width: number;
  /** Whether keys are live (shows the `q` hint). */
  interactive?: boolean;
  /** Set once the user asked to stop, before the trainer confirms. */
  stopping?: boolean;
}

function LogLine({ entry, width }: { entry: LogEntry; width: number }): ReactElement {
  if (entry.kind === 'epoch') {
    return <Text color={entry.row.best ? 'green' : undefined}>{epochLine(entry.row, width)}</Text>;
  }
  return <Text color={entry.level === 'warn' ? 'yellow' : 'gray'}>{entry.text}</Text>;
}

function Header({ state }: { state: DashboardState }): ReactElement | null {
  const lines = startLines(state);
  if (lines.length === 0) return <Text color="cyan">starting… (loading dataset and base model)</Text>;
  return (
    <Box flexDirection="column">
      <Text bold color="cyan" wrap="truncate-end">
        {lines[0]}
      </Text>
      {lines.slice(1).map((l) => (
        <Text key={l} wrap="truncate-end">
          {l}
        </Text>
      ))}
      {state.warnings.length > 0 && <Text color="yellow">{`⚠ ${state.warnings.length} dataset warning(s), see log above`}</Text>}
    </Box>
  );
}

function Phases({ state }: { state: DashboardState }): ReactElement | null {
  if (state.phases.length === 0) return null;
  const parts = state.phases.map((p) => {
    const mark = p.status === 'done' ? '✓' : '▶';
    const ran = p.status === 'done' ? `${p.epochsRun ?? p.epochs}/${p.epochs} epochs` : `${p.epochs} epochs, lr ${lr(p.learningRate)}`;
    return `${mark} ${phaseLabel(p.phase)} ${ran}`;
  });
  return <Text wrap="truncate-end">{parts.join('   ')}</Text>;
}

function Progress({ state, width }: { state: DashboardState; width: number }): ReactElement | null {
  const c = state.current;
  if (state.download && !state.download.finished) {
    const d = state.download;
    return <Text wrap="truncate-end">{`downloading ${d.url.split('/').pop() ?? ''} ${downloadBar(d.received, d.total, Math.min(30, width - 40))}`}</Text>;
  }
  if (state.cache && !state.cache.finished) {
    const k = state.cache;
    return <Text>{`caching ${k.phase} features${k.queue ? ' on queue workers' : ''} ${bar(k.done, k.total, Math.min(30, width - 40))} ${k.done}/${k.total}`}</Text>;
  }
  if (!c) return null;
  const barWidth = Math.max(10, Math.min(40, width - 70));
  return (
    <Box flexDirection="column">
      <Text wrap="truncate-end">
        <Text bold>{`${phaseTag(c.phase)} epoch ${c.epoch}/${c.epochs} `}</Text>
        <Text color="green">{bar(c.batch, c.batches, barWidth)}</Text>
        {` ${c.batch}/${c.batches}  ${Math.round(c.imagesPerSec ?? 0)} img/s  ETA ${duration(c.etaSec)}`}
      </Text>
      <Text wrap="truncate-end">{`batch loss ${num(c.loss)}  acc ${num(c.acc)}${state.learningRate !== undefined ? `  lr ${lr(state.learningRate)}` : ''}${runEtaText(state)}`}</Text>
    </Box>
  );
}

function Curves({ state, width }: { state: DashboardState; width: number }): ReactElement | null {
  const rows = state.epochs;
  if (rows.length === 0) return null;
  const w = Math.max(8, Math.min(40, width - 44));
  const last = rows[rows.length - 1];
  const curve = (name: string, values: Array<number | undefined>, latest: number | undefined): ReactElement => (
    <Text>
      {name.padEnd(9)}
      <Text color="magenta">{sparkline(values, w).padEnd(w)}</Text>
      {` ${num(latest)}`}
    </Text>
  );
  return (
    <Box flexDirection="column">
      {curve('loss', rows.map((r) => r.loss), last?.loss)}
      {curve('val_loss', rows.map((r) => r.val_loss), last?.val_loss)}
      {curve('acc', rows.map((r) => r.acc), last?.acc)}
      {curve('val_acc', rows.map((r) => r.val_acc), last?.val_acc)}
      {state.best && (
        <Text color="green">{`best: ${phaseTag(state.best.phase)} epoch ${state.best.epoch}  val_acc ${pct(state.best.val_acc)}  val_loss ${num(state.best.val_loss)}`}</Text>
      )}
      {state.lrChanges.length > 0 && (
        <Text color="gray" wrap="truncate-end">{`lr changes: ${state.lrChanges.map((c) => `${phaseTag(c.phase)}#${c.epoch} ${lr(c.from)}→${lr(c.to)}`).join(', ')}`}</Text>
      )}
      {state.earlyStop && (
        <Text color="yellow">{`early stopped ${phaseTag(state.earlyStop.phase)} at epoch ${state.earlyStop.epoch} (best ${state.earlyStop.bestEpoch})`}</Text>
      )}
    </Box>
  );
}

function Footer({ state, interactive, stopping }: Omit<DashboardProps, 'width'>): ReactElement | null {
  if (state.status === 'done' || state.status === 'failed' || state.status === 'interrupted') return null;
  if (stopping) return <Text color="yellow">stopping: saving a checkpoint…</Text>;
  if (state.status === 'evaluating') return <Text color="cyan">evaluating…</Text>;
  if (state.status === 'exporting') return <Text color="cyan">exporting ONNX…</Text>;
  return interactive ? <Text color="gray">q / Ctrl-C: stop after saving a checkpoint (resume with --resume)</Text> : null;
}

/** The whole dashboard: static log of finished epochs above a live panel. */
export function Dashboard({ state, width, interactive = false, stopping = false }: DashboardProps): ReactElement {
  const finished = state.status === 'done';
  return (
    <>
      <Static items={state.log}>{(entry) => <LogLine key={entry.id} entry={entry} width={width} />}</Static>
      <Box flexDirection="column" width={Math.max(20, width)}>
        <Header state={state} />
        <Phases state={state} />
        {!finished && <Progress state={state} width={width} />}
        <Curves state={state} width={width} />
        {finished && (
          <Box flexDirection="column" marginTop={1}>
            {summaryLines(state, { best: false }).map((l, i) => (
              <Text key={i} bold={i === 0}>
                {l}
              </Text>
            ))}
          </Box>
        )}
        {state.status === 'failed' && state.error && <Text color="red">{`error${state.error.code ? ` [${state.error.code}]` : ''}: ${state.error.message}`}</Text>}
        <Footer state={state} interactive={interactive} stopping={stopping} />
      </Box>
    </>
  );
}

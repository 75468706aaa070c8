/**
 * @headstart/trainer — TF.js transfer learning: base catalogue and loaders, base + head,
 * two-phase training with feature and boundary caching, checkpoints, evaluation.
 * @example
 *   import { train } from '@headstart/trainer';
 *   const { runDir, report } = await train({ data: 'data/demo', out: 'runs/demo' }, (e) => log(e));
 */
export { listBases, findBase, type BaseInfo } from './bases/catalogue.ts';
export { readNsfwjsModel, nsfwjsVersion } from './bases/nsfwjs-bundle.ts';
export { loadBase, type LoadedBase, type LoadBaseOptions, type BaseLayer } from './bases/load-base.ts';
export { loadOnnxBase, onnxStageForRun, ONNX_BASE_FROZEN, type LoadOnnxBaseOptions, type OnnxBaseRecord } from './bases/onnx-base.ts';
export { attachImageStage, imageStageOf, releaseImageStage, type ImageStage } from './train/image-stage.ts';
export { defaultCacheDir } from '@headstart/core-node';
export { ensureCachedModel, applyMirror, cacheFolder, cacheState, type CachedModel, type RemoteModelOptions } from './bases/remote.ts';
export { downloadFile, hashFile, type DownloadProgress } from './bases/download.ts';
export { pullBase, baseCacheStates, pinSnippet, type BaseCacheState } from './bases/pull.ts';
export { buildClassifier, buildScratchCnn, SCRATCH_CUT } from './model/build.ts';
export { splitModel, modelGraph, type SplitModel } from './model/graph.ts';
export { pinInference, useFastActivations } from './model/modes.ts';
export { train, type TrainOptions, type TrainResult } from './train/train.ts';
export { planRun, DEFAULT_BASE, HOLDOUT_TEST_SPLIT, type Recipe, type RunPlan } from './train/plan.ts';
export { resolveSchedule, resolveHead, DEFAULT_SCHEDULE, DEFAULT_HEAD, type ScheduleInput } from './train/schedule.ts';
export type { EpochRecord } from './train/fit-loop.ts';
export { evaluateRun, reportStem, weightsSha256 } from './eval/evaluate.ts';
export { adviseForDataset, measureBase, sampleSplit, features, DEFAULT_SIZE, MAX_FLATTEN_DIM, MAX_FOLDS, PROBE_REPEATS, DEFAULT_PROBE_SAMPLE, type Advice, type AdviseOptions } from './advise.ts';
export { pairedDifference, pickProbe, probeReason, pickExplanation, probeTies, withExcess, PROBE_TIE_SE, type ProbeResult } from './probe/pick.ts';
export { crossValidate, crossValidateOutcomes, stratifiedFolds, pooledDim, standardizePool, PROBE_RIDGE, type CvOutcomes, type FeatureBlock, type ProbePooling } from './probe/cross-validate.ts';
export { argmax, ridgeScores } from './probe/ridge.ts';
export { gramTf, crossGramTf } from './probe/out-of-fold.ts';
export { prepareData, type ImageSplit } from './data/prepare.ts';
export { createOnnxFeatureExtractor, openOnnxFeatureExtractor, type OnnxFeatureExtractor, type OnnxFeatureOptions } from './train/onnx-features.ts';
export { processFeatureChunk, PrefixSessions, sha256Of, type FetchPrefix } from './train/feature-chunk.ts';
export { AUGMENTED_PASS_STREAM, type FeatureQueue, type FeatureJob } from './train/queued-caches.ts';
export { adaptStandardization, channelMoments, STANDARDIZE_SAMPLE } from './train/standardize.ts';
export { renderReportHtml } from './eval/report-html.ts';
export { ttaSummary } from './eval/tta-html.ts';
export { readManifest, readHistory } from './run/manifest.ts';
export { saveLayersModel, loadLayersModelFile } from './run/model-io.ts';
export { selectBackend, type BackendName, type BackendReport } from './backend/select-backend.ts';
export { DataParallelSteps, type ParallelGradients } from './parallel/data-parallel.ts';
export { OrtStepEngine, type GradientEngine, type OrtStepOptions, type StepGradients } from './ortgrad/engine.ts';
export type { StepEngine } from './ortgrad/select.ts';
export { asAdam, FastAdam } from './ortgrad/adam.ts';
export { BACKEND_ORDER, backendFixHint } from './backend/select-backend.ts';
export { tfjsCoreResolutions, tfjsCoreCopies, TFJS_CORE_CONSUMERS } from './backend/tfjs-instance.ts';
export { registerWasmConvGradients, wasmConvGradientsRegistered, WASM_CONV_GRADIENT_KERNELS, type ConvGradientRegistration } from './kernels/register-wasm.ts';
export { conv2dFilterGrad, conv2dInputGrad, type ConvGradOptions } from './kernels/conv2d-grads.ts';
export { depthwiseFilterGrad, depthwiseInputGrad } from './kernels/depthwise-grads.ts';
export { maxPoolInputGrad, type PoolGradOptions } from './kernels/max-pool-grad.ts';
export { checkRunDir, prepareRunDir, removeStrayFiles, type RunDirPolicy } from './run/run-dir.ts';
export { deepCheck, DEEP_CHECK_FOLDS, DEEP_CHECK_MAX_IMAGES, type DeepCheckOptions, type DeepCheckReport, type DeepCheckResult, type LabelIssueRow, type NearDuplicateRow } from './audit/deep-check.ts';
export { writeDeepCheckFiles, issuesCsv, issuesHtml, ISSUES_CSV_COLUMNS } from './audit/deep-check-files.ts';
export { findLabelIssues, classThresholds, type LabelIssue } from './audit/label-issues.ts';
export { findNearDuplicates, NEAR_DUPLICATE_SIMILARITY, type NearDuplicatePair } from './audit/near-duplicates.ts';
export { GradCam, type GradCamResult } from './explain/grad-cam.ts';
export { explainRun } from './explain/explain-run.ts';

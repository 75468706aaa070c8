// Bundled by test/pixels.test.ts into a script for Chromium: the browser entry's decode path.
export { decodeToRgba, imageToModelPixels } from '@headstart/inference/web';

export * from './summary.js';
export * from './jitter.js';
export * from './loss.js';
export * from './packets.js';
export * from './throughput.js';
export * from './http.js';
export * from './sketch.js';

export * from './stream-encryption-options';
export * from './delivery-stream-encryption';
export * from './data-stream-encryption';
export * from './handler';
export * from './key-health';
export * from './checks';
export * from './guard';

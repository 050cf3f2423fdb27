export * from './key-type';
export * from './delivery-stream-encryption';
export * from './data-stream-encryption';
export * from './key-health';
export * from './checks';

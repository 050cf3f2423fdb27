export * from './key-type';
export * from './delivery-stream-encryption';

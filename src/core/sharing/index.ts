// Sharing settings: who can pull and push (synapse-api.md §9).
export * from './levels';
export * from './settings';
export * from './messages';
export * from './accessCache';

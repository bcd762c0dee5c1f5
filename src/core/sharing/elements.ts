// The Sharing view's elements: plain typed data (the VS Code layer maps them to TreeItems in tree/sharingView.ts).
import type { SharingRow, SharingSettings } from './settings';

export type SharingElement =
  | { kind: 'origin'; id: string; settings: SharingSettings }
  | { kind: 'row'; id: string; settings: SharingSettings; row: SharingRow }
  | { kind: 'message'; id: string; text: string; severity: 'info' | 'error' };

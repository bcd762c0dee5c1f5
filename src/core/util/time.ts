import * as l10n from '@vscode/l10n';
import { displayLanguage } from './translations';

const UNITS: Array<[Intl.RelativeTimeFormatUnit, number]> = [
  ['year', 365 * 86400],
  ['month', 30 * 86400],
  ['day', 86400],
  ['hour', 3600],
  ['minute', 60],
];

/** "3 minutes ago", "2 days ago": short relative ages for tree descriptions, in the display language. */
export function relativeTime(iso: string | undefined, now: number = Date.now()): string {
  if (!iso) return '';
  const then = Date.parse(iso);
  if (Number.isNaN(then)) return '';
  const seconds = Math.round((now - then) / 1000);
  if (seconds >= 45) {
    for (const [unit, size] of UNITS) {
      const count = Math.round(seconds / size);
      if (count >= 1 && seconds >= size * 0.75) return new Intl.RelativeTimeFormat(displayLanguage(), { numeric: 'always' }).format(-count, unit);
    }
  }
  return l10n.t('just now');
}

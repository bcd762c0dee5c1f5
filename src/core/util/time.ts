import * as l10n from '@vscode/l10n';
import { displayLanguage } from './translations';

const UNITS: Array<[Intl.RelativeTimeFormatUnit, number]> = [
  ['year', 365 * 86400],
  ['month', 30 * 86400],
  ['day', 86400],
  ['hour', 3600],
  ['minute', 60],
];

// Tree descriptions ask for an age per row: one formatter per display language, made once.
let formatter: { language: string; format: Intl.RelativeTimeFormat } | undefined;

function ageFormat(): Intl.RelativeTimeFormat {
  const language = displayLanguage();
  if (formatter?.language !== language) formatter = { language, format: new Intl.RelativeTimeFormat(language, { numeric: 'always' }) };
  return formatter.format;
}

/** "3 minutes ago", "2 days ago": short relative ages for tree descriptions, in the display language. */
export function relativeTime(iso: string | undefined, now: number = Date.now()): string {
  if (!iso) return '';
  const then = Date.parse(iso);
  if (Number.isNaN(then)) return '';
  const seconds = Math.round((now - then) / 1000);
  if (seconds >= 45) {
    for (const [unit, size] of UNITS) {
      const count = Math.round(seconds / size);
      if (count >= 1 && seconds >= size * 0.75) return ageFormat().format(-count, unit);
    }
  }
  return l10n.t('just now');
}
